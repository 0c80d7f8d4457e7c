"""Side-by-side export benchmark: this client (sequential and concurrent pages) against the official
Python SDK `gcore`, both exporting the same 100,000-row detailed cost report from the same local fake
server to CSV. Reports wall time, rows/s, peak memory (max RSS of the exporting process) and ratios.

Usage (from the repo root):
    cargo build --release --example export -p gcore-billing && cargo build --release -p gcore-billing-fake
    pip install gcore==0.59.0
    python3 benches/compare_export.py [--rows 100000] [--runs 3]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")


def run(cmd, env):
    """Runs cmd; returns (seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{stderr}")
    return seconds, usage.ru_maxrss / 1024, stderr.strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    server = subprocess.Popen([os.path.join(RELEASE, "gcore-billing-fake"), "--resources", str(args.rows)],
                              stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip()
    env = dict(os.environ, GCORE_API_KEY="bench-key", GCORE_BASE_URL=url)
    out = "/tmp/gcore-billing-bench.csv"
    export = [os.path.join(RELEASE, "examples", "export"), "--output", out, "--quiet", "--page-size", "1000",
              "--from", "2024-08-01T00:00:00Z", "--to", "2024-09-01T00:00:00Z"]
    contenders = {
        "rust, sequential pages": export + ["--concurrency", "1"],
        "rust, 4 pages at once": export + ["--concurrency", "4"],
        "python gcore 0.59.0 SDK": [sys.executable, os.path.join(ROOT, "benches", "python_export.py"), out],
    }
    results = {}
    try:
        for name, cmd in contenders.items():
            runs = [run(cmd, env) for _ in range(args.runs)]
            seconds = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            results[name] = (seconds, rss)
            print(f"{name:28} {seconds:7.2f} s  {args.rows / seconds:10.0f} rows/s  peak RSS {rss:7.1f} MiB  ({runs[-1][2]})")
    finally:
        server.terminate()
    python = results["python gcore 0.59.0 SDK"][0]
    for name in ("rust, sequential pages", "rust, 4 pages at once"):
        print(f"{name} is {python / results[name][0]:.1f}x faster than the Python SDK")


if __name__ == "__main__":
    main()
