"""Memory (and time) of every export format as the report grows: the `gcore-billing` CLI exports the
same detailed cost report from one local fake server at two sizes, and the script prints wall time,
client CPU (user + sys of the exporting process, from wait4), peak RSS of the exporting process and
how much the peak grew from the small size to the large one. Memory should stay flat in the number
of rows: every writer holds a bounded batch, never the report.

Usage (from the repo root):
    cargo build --release -p gcore-billing-cli -p gcore-billing-fake
    python3 benches/export_memory.py [--small 100000] [--large 1000000] [--runs 1]
"""
import argparse
import os
import statistics
import subprocess
import tempfile

from compare_export import run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")

# name -> (arguments after `export detailed`, file name)
FORMATS = {
    "csv": (["--format", "csv"], "r.csv"),
    "jsonl": (["--format", "jsonl"], "r.jsonl"),
    "parquet": (["--format", "parquet"], "r.parquet"),
    "parquet --wide": (["--format", "parquet", "--wide"], "w.parquet"),
    "focus-csv": (["--format", "focus-csv", "--billing-account-id", "1000001"], "f.csv"),
    "focus-parquet": (["--format", "focus-parquet", "--billing-account-id", "1000001"], "f.parquet"),
}


def measure(rows, runs, work):
    """Median wall and CPU, largest peak RSS, per format, against a server of `rows` resources."""
    server = subprocess.Popen(
        [os.path.join(RELEASE, "gcore-billing-fake"), "--resources", str(rows), "--fleet", "4"],
        stdout=subprocess.PIPE, text=True)
    url = server.stdout.readline().strip()
    env = dict(os.environ, GCORE_API_KEY="bench-key", GCORE_BASE_URL=url)
    cli = [os.path.join(RELEASE, "gcore-billing"), "export", "detailed", "--quiet",
           "--from", "2024-08-01T00:00:00Z", "--to", "2024-09-01T00:00:00Z"]
    results = {}
    try:
        for name, (args, file) in FORMATS.items():
            out = os.path.join(work, f"{rows}-{file}")
            samples = []
            for _ in range(runs):
                if os.path.exists(out):
                    os.remove(out)
                samples.append(run(cli + args + ["--output", out], env)[:3])
            results[name] = (statistics.median(s[0] for s in samples),
                             statistics.median(s[1] for s in samples),
                             max(s[2] for s in samples),
                             os.path.getsize(out))
            os.remove(out)
            wall, cpu, rss, size = results[name]
            print(f"{rows:>9} rows  {name:15} wall {wall:7.2f} s  client CPU {cpu:7.2f} s  "
                  f"peak RSS {rss:6.1f} MiB  file {size / 2**20:7.1f} MiB", flush=True)
    finally:
        server.terminate()
        server.wait()
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gcore-billing-memory-") as work:
        small = measure(args.small, args.runs, work)
        large = measure(args.large, args.runs, work)
    print()
    print(f"| format | {args.small:,} rows: wall / CPU / peak RSS | {args.large:,} rows: wall / CPU / peak RSS "
          f"| RSS {args.large:,} vs {args.small:,} |")
    print("|---|---|---|---|")
    for name in FORMATS:
        s, l = small[name], large[name]
        print(f"| {name} | {s[0]:.2f} s / {s[1]:.2f} s / {s[2]:.1f} MiB | {l[0]:.2f} s / {l[1]:.2f} s / "
              f"{l[2]:.1f} MiB | {l[2] / s[2]:.2f}x |")


if __name__ == "__main__":
    main()
