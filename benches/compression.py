"""Compressed vs plain transfers over a bandwidth-limited link: the CLI exports the same detailed
cost report from the local fake server through benches/throttle_proxy.py (default 100 Mbit/s each
way), with compression (the default: Accept-Encoding gzip, br, zstd) and with --no-compression,
alternating, and reports per mode the median wall time, the bytes that crossed the link and the
client's CPU time.

Usage (from the repo root):
    cargo build --release -p gcore-billing-cli -p gcore-billing-fake
    python3 benches/compression.py [--rows 100000] [--runs 3] [--mbit 100]
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")


def through_proxy(target, mbit, cmd, env, scratch):
    """Runs cmd against a fresh throttling proxy; returns (wall s, client CPU s, bytes down, bytes up)."""
    port_file, count_file = os.path.join(scratch, "port"), os.path.join(scratch, "count")
    for f in (port_file, count_file):
        if os.path.exists(f):
            os.remove(f)
    proxy = subprocess.Popen([sys.executable, os.path.join(ROOT, "benches", "throttle_proxy.py"),
                              "--target", target, "--mbit", str(mbit),
                              "--port-file", port_file, "--count-file", count_file])
    while not os.path.exists(port_file) or not open(port_file).read():
        time.sleep(0.05)
    port = open(port_file).read().strip()
    env = dict(env, GCORE_BASE_URL=f"http://127.0.0.1:{port}")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr.read().decode()}")
    proxy.send_signal(signal.SIGTERM)
    proxy.wait()
    down, up = (int(x) for x in open(count_file).read().split())
    return wall, usage.ru_utime + usage.ru_stime, down, up


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mbit", type=float, default=100.0)
    args = parser.parse_args()
    server = subprocess.Popen([os.path.join(RELEASE, "gcore-billing-fake"), "--resources", str(args.rows)],
                              stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip()
    target = url.removeprefix("http://")
    env = dict(os.environ, GCORE_API_KEY="bench-key")
    results = {"compressed": [], "plain": []}
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "out.csv")
        base = [os.path.join(RELEASE, "gcore-billing"), "export", "detailed", "--quiet", "--page-size", "1000",
                "--from", "2024-08-01T00:00:00Z", "--to", "2024-09-01T00:00:00Z", "--output", out]
        modes = {"compressed": base, "plain": base + ["--no-compression"]}
        for _ in range(args.runs):
            for mode, cmd in modes.items():
                results[mode].append(through_proxy(target, args.mbit, cmd, env, scratch))
                rows = sum(1 for _ in open(out)) - 1
                if rows != args.rows:
                    sys.exit(f"{mode}: exported {rows} rows, expected {args.rows}")
    server.terminate()
    print(f"{args.rows} rows, detailed report, {args.mbit:g} Mbit/s link, median of {args.runs}")
    print(f"{'mode':<12} {'wall s':>8} {'CPU s':>7} {'MB down':>9} {'MB up':>7}")
    medians = {}
    for mode, runs in results.items():
        wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        down, up = statistics.median(r[2] for r in runs), statistics.median(r[3] for r in runs)
        medians[mode] = (wall, down)
        print(f"{mode:<12} {wall:>8.2f} {cpu:>7.2f} {down / 1e6:>9.2f} {up / 1e6:>7.3f}")
    (cw, cd), (pw, pd) = medians["compressed"], medians["plain"]
    print(f"compressed/plain: wall {cw / pw:.2f}x, bytes down {cd / pd:.3f}x ({pd / cd:.1f}x fewer)")


if __name__ == "__main__":
    main()
