#!/usr/bin/env python3
"""Reads a `gcore-billing sync` dataset with DuckDB, as a user would, and checks it against the
sync's own account of it.

    sync-duckdb-check.py DATASET SUMMARY_FILE

DATASET is the sync's destination directory; SUMMARY_FILE holds what the sync printed on stderr
(its last line is the summary: "sync of DIR: 3 added, 0 replaced, 0 unchanged; 9000 rows; cost
524633.33295 EUR"). Run it with the Python of a virtualenv that has duckdb installed.

What must hold:

1. DuckDB reads every partition with nothing but the path glob the README gives,
   `read_parquet('DATASET/report=detailed/*/*/*.parquet', hive_partitioning = true)` (the depth named, so
   that a sync in progress, under `.staging/`, is never read), and finds the partition columns
   `report`, `account` and `month`.
2. Its row count and its cost sum per currency (exact DECIMAL arithmetic, compared as decimal
   text) equal the summary line's, and equal the manifest's (`_manifest.json`) sums.
3. Every file's `month` partition holds only rows first seen (UTC) in that month, and no
   (account, month) pair is held by two files.

Exit status 0 when all hold, 1 otherwise.
"""

import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import duckdb


def fail(message):
    print(f"FAIL {message}")
    sys.exit(1)


def summary_of(text):
    """The rows and cost per currency of the sync's summary line."""
    lines = [line for line in text.splitlines() if line.startswith("sync of ")]
    if not lines:
        fail("the sync printed no summary line")
    line = lines[-1]
    found = re.search(r"; (\d+) rows; cost (.*)$", line)
    if not found:
        fail(f"cannot read the summary line: {line!r}")
    rows = int(found.group(1))
    costs = {}
    if found.group(2) != "none":
        for part in found.group(2).split(", "):
            amount, currency = part.split(" ")
            costs[currency] = Decimal(amount)
    return rows, costs


def manifest_of(dataset):
    """The rows and cost per currency the manifest records, over all partitions."""
    manifest = json.loads((dataset / "_manifest.json").read_text())
    rows = 0
    costs = {}
    for partition in manifest["partitions"].values():
        rows += partition["rows"]
        for currency, amount in partition["cost"].items():
            costs[currency] = costs.get(currency, Decimal(0)) + Decimal(amount)
    return rows, costs


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    dataset = Path(sys.argv[1])
    summary_rows, summary_costs = summary_of(Path(sys.argv[2]).read_text())
    manifest_rows, manifest_costs = manifest_of(dataset)

    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    glob = f"{dataset}/report=detailed/*/*/*.parquet"
    table = f"read_parquet('{glob}', hive_partitioning = true)"
    columns = [row[0] for row in db.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()]
    for column in ("report", "account", "month"):
        if column not in columns:
            fail(f"DuckDB finds no {column!r} partition column (columns: {columns})")

    (rows,) = db.execute(f"SELECT count(*) FROM {table}").fetchone()
    # The sum as text: DuckDB's DECIMAL sum is exact; Python's float never enters.
    costs = {
        currency: Decimal(total)
        for currency, total in db.execute(
            f"SELECT currency, CAST(sum(cost) AS VARCHAR) FROM {table} "
            "WHERE cost IS NOT NULL AND currency IS NOT NULL GROUP BY currency"
        ).fetchall()
    }
    print(f"DuckDB {duckdb.__version__}: {rows} rows, cost {costs}")
    if rows != summary_rows or rows != manifest_rows:
        fail(f"rows: DuckDB {rows}, summary {summary_rows}, manifest {manifest_rows}")
    if costs != summary_costs or costs != manifest_costs:
        fail(f"cost: DuckDB {costs}, summary {summary_costs}, manifest {manifest_costs}")

    outside = db.execute(
        f"SELECT count(*) FROM {table} "
        "WHERE strftime(CAST(first_seen AS TIMESTAMPTZ), '%Y-%m') <> CAST(month AS VARCHAR)"
    ).fetchone()[0]
    if outside:
        fail(f"{outside} rows lie outside the month of their partition")
    doubled = db.execute(
        f"SELECT account, month, count(DISTINCT filename) AS files "
        f"FROM read_parquet('{glob}', hive_partitioning = true, filename = true) "
        "GROUP BY account, month HAVING files > 1"
    ).fetchall()
    if doubled:
        fail(f"partitions held by more than one file: {doubled}")
    print("ok   DuckDB reads the dataset by its path; its rows and cost sums equal the sync's")


if __name__ == "__main__":
    main()
