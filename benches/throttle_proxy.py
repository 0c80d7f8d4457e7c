"""A TCP proxy on 127.0.0.1 that limits each direction of each connection to a bandwidth (default
100 Mbit/s) and counts the bytes it carries: a stand-in for a real link to the API, to measure what
compression saves. Used by benches/compression.py.

    python3 benches/throttle_proxy.py --target 127.0.0.1:8080 --mbit 100 --port-file P --count-file C

Prints nothing; on SIGTERM writes `<bytes server->client> <bytes client->server>` to --count-file.
"""
import argparse
import asyncio
import signal
import time

counts = {"down": 0, "up": 0}


async def pipe(reader, writer, rate, key):
    # Token bucket at `rate` bytes per second, in chunks of at most 64 KiB.
    start = time.monotonic()
    sent = 0
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            sent += len(chunk)
            counts[key] += len(chunk)
            due = start + sent / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, default=0)
    parser.add_argument("--target", required=True)
    parser.add_argument("--mbit", type=float, default=100.0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--count-file", required=True)
    args = parser.parse_args()
    host, port = args.target.rsplit(":", 1)
    rate = args.mbit * 1_000_000 / 8

    async def handle(client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(
            pipe(client_reader, server_writer, rate, "up"),
            pipe(server_reader, client_writer, rate, "down"),
        )

    server = await asyncio.start_server(handle, "127.0.0.1", args.listen)
    with open(args.port_file, "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    with open(args.count_file, "w") as f:
        f.write(f"{counts['down']} {counts['up']}\n")


asyncio.run(main())
