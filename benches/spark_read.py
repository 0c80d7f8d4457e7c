"""Reads a `gcore-billing sync` dataset with PySpark in local mode, as a Spark, Trino or Athena
job would read it from object storage, and checks it against the sync's own summary.

It syncs DEMO months into a temporary folder (the CLI's built-in demo server: no key, no
network), then, in Spark:

1. reads `DATASET/report=detailed` with nothing but the path: the `account` and `month` columns
   come from the Hive-style folder names, and `.staging`, `_manifest.json` and `_left-out.jsonl`
   are skipped by Spark's own rules;
2. checks that the row count equals the summary line's, that `sum(cost)` per currency equals the
   summary's exactly (Decimal(38, 18) in the files, summed as decimals, never floats), and that
   each (account, month) holds the rows the manifest lists for it;
3. does the same for the FOCUS dataset (`report=focus`, `BilledCost` per `BillingCurrency`).

Usage (from the repo root; Java 17 and `pip install pyspark` needed):
    cargo build --release -p gcore-billing-cli
    python3 benches/spark_read.py [--resources 20000] [--months 3]
"""
import argparse
import decimal
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def summary_of(stderr):
    """(rows, {currency: Decimal}) from the sync's summary line."""
    line = next((l for l in reversed(stderr.splitlines()) if l.startswith("sync of ")), None)
    if line is None:
        sys.exit(f"no summary line in:\n{stderr}")
    rows = int(re.search(r"; (\d+) rows", line).group(1))
    costs = {}
    cost_text = line.split("; cost ", 1)[1].split(";")[0]
    for part in cost_text.split(", "):
        if part != "none":
            amount, currency = part.split(" ")
            costs[currency] = decimal.Decimal(amount)
    return rows, costs


def sync(cli, dataset, args, months):
    start_month = 6
    command = [cli, "--demo", "--demo-resources", str(args.resources), "sync", dataset,
               "--account", "acme", "--quiet", "--from", f"2024-{start_month:02d}-01",
               "--to", f"2024-{start_month + months:02d}-01", *args_extra(args)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    return done.stderr, time.perf_counter() - started


def args_extra(args):
    return ["--format", "focus"] if args.focus else []


def check(spark, dataset, report, cost_column, currency_column, stderr):
    from pyspark.sql import functions as F

    rows, costs = summary_of(stderr)
    started = time.perf_counter()
    table = spark.read.parquet(os.path.join(dataset, f"report={report}"))
    columns = set(table.columns)
    for needed in ("account", "month", cost_column, currency_column):
        if needed not in columns:
            sys.exit(f"report={report}: Spark found no {needed} column in {sorted(columns)}")
    counted = table.count()
    sums = {r[currency_column]: r["total"] for r in
            table.where(F.col(cost_column).isNotNull() & F.col(currency_column).isNotNull())
                 .groupBy(currency_column).agg(F.sum(cost_column).alias("total")).collect()}
    per_month = {(r["account"], str(r["month"])): r["count"] for r in
                 table.groupBy("account", "month").count().collect()}
    seconds = time.perf_counter() - started
    failures = []
    if counted != rows:
        failures.append(f"Spark counts {counted} rows, the summary {rows}")
    spark_costs = {c: decimal.Decimal(v).normalize() for c, v in sums.items()}
    summary_costs = {c: v.normalize() for c, v in costs.items()}
    if spark_costs != summary_costs:
        failures.append(f"Spark sums {spark_costs}, the summary {summary_costs}")
    with open(os.path.join(dataset, "_manifest.json")) as f:
        manifest = json.load(f)
    listed = {(p["account"], p["month"]): p["rows"] for p in manifest["partitions"].values()
              if p["report"] == report}
    if per_month != listed:
        failures.append(f"rows per (account, month): Spark {per_month}, manifest {listed}")
    if failures:
        sys.exit(f"report={report}: " + "; ".join(failures))
    print(f"report={report}: Spark read {counted} rows in {len(per_month)} partitions "
          f"({seconds:.1f} s); sum({cost_column}) per currency "
          f"{', '.join(f'{v} {c}' for c, v in sorted(spark_costs.items()))}: equal to the "
          f"summary; rows per month equal to the manifest")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=3, choices=range(1, 7))
    parser.add_argument("--cli", default=os.path.join(ROOT, "target", "release", "gcore-billing"))
    args = parser.parse_args()
    if not os.path.exists(args.cli):
        sys.exit(f"{args.cli} is missing: cargo build --release -p gcore-billing-cli")

    # Spark binds to the host's address otherwise, and warns that it resolves to loopback.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    work = tempfile.mkdtemp(prefix="gcore-spark-")
    dataset = os.path.join(work, "costs")
    try:
        args.focus = False
        detailed_log, detailed_seconds = sync(args.cli, dataset, args, args.months)
        args.focus = True
        focus_log, focus_seconds = sync(args.cli, dataset, args, args.months)
        print(f"synced {args.months} demo months of {args.resources} resources: native in "
              f"{detailed_seconds:.1f} s, FOCUS in {focus_seconds:.1f} s")
        spark = (SparkSession.builder.master("local[2]").appName("gcore-billing-sync-check")
                 .config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        try:
            print(f"Spark {spark.version}, local mode")
            check(spark, dataset, "detailed", "cost", "currency", detailed_log)
            check(spark, dataset, "focus", "BilledCost", "BillingCurrency", focus_log)
        finally:
            spark.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
