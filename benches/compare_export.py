"""Side-by-side export benchmark: the `gcore-billing` CLI (CSV with sequential and concurrent pages, JSON
lines, Parquet) against the official Python SDK `gcore`, all exporting the same detailed cost report from
the same local fake server. Reports wall time, client CPU (user + sys of the exporting process, from
wait4), peak memory (max RSS of the exporting process) and the ratios against the SDK.

Usage (from the repo root):
    cargo build --release -p gcore-billing-cli -p gcore-billing-fake
    pip install gcore==0.59.0
    python3 benches/compare_export.py [--rows 100000] [--runs 3] [--no-python]
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")
PYTHON = "python gcore 0.59.0 SDK, CSV"


def run(cmd, env):
    """Runs cmd; returns (wall seconds, client CPU seconds, peak RSS in MiB, last stderr line)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{stderr}")
    lines = stderr.strip().splitlines()
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, lines[-1] if lines else ""


def cells(path):
    """The CSV's rows with numbers compared as numbers (Python writes 9027.0 where Rust writes 9027)."""
    def norm(value):
        try:
            return float(value)
        except ValueError:
            return value
    with open(path, newline="") as f:
        return [[norm(v) for v in row] for row in csv.reader(f)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-python", action="store_true", help="only the CLI (e.g. for the 1M-row memory figure)")
    args = parser.parse_args()

    server = subprocess.Popen([os.path.join(RELEASE, "gcore-billing-fake"), "--resources", str(args.rows)],
                              stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip()
    env = dict(os.environ, GCORE_API_KEY="bench-key", GCORE_BASE_URL=url)
    cli = [os.path.join(RELEASE, "gcore-billing"), "export", "detailed", "--quiet", "--page-size", "1000",
           "--from", "2024-08-01T00:00:00Z", "--to", "2024-09-01T00:00:00Z"]
    out = "/tmp/gcore-billing-bench-{}"
    contenders = {
        "cli, CSV, sequential pages": (cli + ["--output", out.format("seq.csv")], out.format("seq.csv")),
        "cli, CSV, 4 pages at once": (cli + ["--concurrency", "4", "--output", out.format("con.csv")], out.format("con.csv")),
        "cli, JSON lines, sequential": (cli + ["--format", "jsonl", "--output", out.format("r.jsonl")], None),
        "cli, Parquet, sequential": (cli + ["--format", "parquet", "--output", out.format("r.parquet")], None),
    }
    if not args.no_python:
        contenders[PYTHON] = ([sys.executable, os.path.join(ROOT, "benches", "python_export.py"), out.format("py.csv")],
                              out.format("py.csv"))
    results = {}
    try:
        for name, (cmd, _) in contenders.items():
            runs = [run(cmd, env) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            rss = max(r[2] for r in runs)
            results[name] = (wall, cpu, rss)
            print(f"{name:30} wall {wall:7.2f} s  client CPU {cpu:7.2f} s  {args.rows / wall:9.0f} rows/s  "
                  f"peak RSS {rss:6.1f} MiB  ({runs[-1][3]})")
    finally:
        server.terminate()
    # Only a fair race if everyone wrote the same rows.
    csvs = [(name, path) for name, (_, path) in contenders.items() if path]
    expected = cells(csvs[0][1])
    for name, path in csvs[1:]:
        if cells(path) != expected:
            sys.exit(f"{name} wrote different rows from {csvs[0][0]}")
    print(f"every CSV holds the same {len(expected) - 1} rows")
    if PYTHON in results:
        wall, cpu, _ = results[PYTHON]
        for name, (w, c, _) in results.items():
            if name != PYTHON:
                print(f"{name}: {wall / w:5.1f}x less wall time, {cpu / c:5.1f}x less client CPU than the Python SDK")


if __name__ == "__main__":
    main()
