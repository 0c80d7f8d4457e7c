"""`gcore-billing sync` against the plain Parquet export, in one run: the same month of the
detailed cost report (--rows resources, one row each) from the same local fake server, as

1. `export detailed --format parquet` (the baseline),
2. `sync DIR` (the Parquet dataset: the export into .staging, read back for the totals, renamed),
3. `sync postgres://...` (the export, then COPY into a PostgreSQL cluster this script makes with
   the machine's initdb in a temporary directory, as nobody when run as root).

Reports wall time, rows per second, the client's CPU (user + sys, from wait4) and peak RSS of
the command (the PostgreSQL server's own work is not in the client's CPU; its wall time is).

Usage (from the repo root):
    cargo build --release -p gcore-billing-cli -p gcore-billing-fake
    python3 benches/sync_bench.py [--rows 1000000] [--runs 3]
"""
import argparse
import glob
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")
NOBODY = 65534


def run(cmd, env):
    """Runs cmd; returns (wall seconds, client CPU seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{stderr}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def postgres_binaries():
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(found)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        sys.exit("no PostgreSQL server binaries (initdb): install the postgresql package")
    return os.path.dirname(candidates[-1])


def as_nobody():
    if os.geteuid() == 0:
        os.setgid(NOBODY)
        os.setuid(NOBODY)


def start_postgres(folder):
    """Makes and starts a cluster in folder; returns (process, URL)."""
    bin_dir = postgres_binaries()
    if os.geteuid() == 0:
        os.chown(folder, NOBODY, NOBODY)
    data = os.path.join(folder, "data")
    subprocess.run([os.path.join(bin_dir, "initdb"), "--auth=trust", "--username=postgres", "--encoding=UTF8",
                    "--locale=C", "--no-sync", "-D", data], check=True, stdout=subprocess.DEVNULL,
                   preexec_fn=as_nobody)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([os.path.join(bin_dir, "postgres"), "-D", data, "-p", str(port),
                               "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={folder}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=as_nobody)
    url = f"postgres://postgres@127.0.0.1:{port}/postgres"
    for _ in range(600):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(0.5)
                return server, url
        time.sleep(0.1)
    sys.exit("PostgreSQL did not start")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    server = subprocess.Popen([os.path.join(RELEASE, "gcore-billing-fake"), "--resources", str(args.rows)],
                              stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip()
    env = dict(os.environ, GCORE_API_KEY="bench-key", GCORE_BASE_URL=url,
               XDG_CONFIG_HOME="/nonexistent/gcore-billing-bench")
    work = tempfile.mkdtemp(prefix="gcore-sync-bench-")
    os.chmod(work, 0o755)  # the cluster runs as nobody, which must reach work/pg
    pg_folder = os.path.join(work, "pg")
    os.mkdir(pg_folder)
    database, database_url = start_postgres(pg_folder)
    cli = os.path.join(RELEASE, "gcore-billing")
    month = ["--from", "2024-08-01", "--to", "2024-09-01"]
    results = {}
    try:
        for run_index in range(args.runs):
            out = os.path.join(work, f"run{run_index}")
            os.mkdir(out)
            cases = [
                ("export --format parquet", [cli, "export", "detailed", "--quiet", "--format", "parquet",
                                             *month, "--output", os.path.join(out, "export.parquet")]),
                ("sync DIR (Parquet dataset)", [cli, "sync", os.path.join(out, "dataset"), "--quiet", *month]),
                # A fresh account each run, so that its month is fetched and loaded, not kept.
                ("sync postgres://", [cli, "sync", database_url, "--quiet", "--account", f"run{run_index}",
                                      *month]),
            ]
            for name, cmd in cases:
                results.setdefault(name, []).append(run(cmd, env))
            shutil.rmtree(out)
    finally:
        database.send_signal(2)
        database.wait()
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)

    baseline = statistics.median(r[0] for r in results["export --format parquet"])
    print(f"{args.rows} rows, median of {args.runs} runs each, same fake server, interleaved\n")
    print("| command | wall s | rows/s | client CPU s | peak RSS MiB | wall vs export |")
    print("|---|---|---|---|---|---|")
    for name, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        rss = max(r[2] for r in runs)
        print(f"| {name} | {wall:.2f} | {args.rows / wall:,.0f} | {cpu:.2f} | {rss:.1f} | {wall / baseline:.2f}x |")


if __name__ == "__main__":
    main()
