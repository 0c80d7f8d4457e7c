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


CONTENDERS = ("rust, sequential pages", "rust, 4 pages at once", "python gcore 0.59.0 SDK")


def same_rows(path):
    """The file's lines, line endings aside."""
    with open(path, newline="") as f:
        return [line.rstrip("\r\n") for line in f]


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
    outs = {name: f"/tmp/gcore-billing-bench-{i}.csv" for i, name in enumerate(CONTENDERS)}
    export = [os.path.join(RELEASE, "examples", "export"), "--quiet", "--page-size", "1000",
              "--from", "2024-08-01T00:00:00Z", "--to", "2024-09-01T00:00:00Z"]
    contenders = {
        CONTENDERS[0]: export + ["--output", outs[CONTENDERS[0]], "--concurrency", "1"],
        CONTENDERS[1]: export + ["--output", outs[CONTENDERS[1]], "--concurrency", "4"],
        CONTENDERS[2]: [sys.executable, os.path.join(ROOT, "benches", "python_export.py"), outs[CONTENDERS[2]]],
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
    # The race is only fair if everyone wrote the same rows: compare the files (Python's csv ends lines with CRLF).
    expected = same_rows(outs[CONTENDERS[0]])
    for name in CONTENDERS[1:]:
        if same_rows(outs[name]) != expected:
            sys.exit(f"{name} wrote different rows from {CONTENDERS[0]}")
    print(f"all three wrote the same {len(expected) - 1} rows")
    python = results[CONTENDERS[2]][0]
    for name in CONTENDERS[:2]:
        print(f"{name} is {python / results[name][0]:.1f}x faster than the Python SDK")


if __name__ == "__main__":
    main()
