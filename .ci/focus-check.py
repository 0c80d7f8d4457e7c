#!/usr/bin/env python3
"""Checks a FOCUS CSV export with the FinOps Foundation's validator, focus-validator 1.0.0.

Run it with the Python of a virtualenv that has focus-validator installed:

    focus-check.py EXPORT.csv docs/focus-validator-overrides.yaml

What it runs, and what must hold (docs/focus.md explains each point):

1. The validator exactly as shipped, no overrides, on the export's first row: the rules that fail
   must be the override file's rules plus string-type rules of all-digit ID columns, nothing else.
   This shows each override failing on a row FOCUS 1.0 allows, and notices an override that a fixed
   validator no longer needs.
2. The same row, with the CSV read by column type: the validator's CSV loader lets pandas guess
   each column's type, so a string column whose values are all digits (RegionId "18") becomes
   integers and fails its own "is a string" rule. The validator also ignores an --override-file
   entry for a type rule, so these cannot be overridden. Reading every column that the validator's
   own rules declare `data_type: string` as text (what FOCUS says they are) fixes the loader
   without skipping any rule. Then exactly the override file's rules may fail.
3. The whole export, read by column type, with --override-file: zero failed and zero errored rules.

Exit status 0 when all three hold, 1 otherwise.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

import focus_validator
import yaml

VERSION = "1.0"
SITE = os.path.dirname(os.path.dirname(os.path.abspath(focus_validator.__file__)))
RULES = os.path.join(SITE, "focus_validator", "rules", "version_sets", VERSION)

# Runs the validator with its CSV loader reading the given columns as text.
TYPED_LOADER = """
import runpy, sys
import pandas
from focus_validator.data_loaders import csv_data_loader
text_columns = sys.argv.pop(1).split(",")
csv_data_loader.CSVDataLoader.load = lambda self: pandas.read_csv(
    self.data_filename, dtype={c: str for c in text_columns})
sys.argv[0] = "focus_validator.main"
runpy.run_module("focus_validator.main", run_name="__main__")
"""


def string_columns():
    """Columns that the validator's own rules declare `data_type: string`."""
    columns = set()
    for path in glob.glob(os.path.join(RULES, "*.yaml")):
        with open(path) as f:
            rule = yaml.safe_load(f)
        check = rule.get("check")
        if isinstance(check, dict) and check.get("data_type") == "string":
            columns.add(rule["column_id"])
    return sorted(columns)


def validate(data_file, workdir, typed, overrides=None):
    """Runs the validator; returns {rule: status}, status passed, failed, errored or skipped."""
    report = os.path.join(workdir, "report.xml")
    arguments = [
        "--data-file", os.path.abspath(data_file),
        "--validate-version", VERSION,
        "--output-type", "unittest",
        "--output-destination", report,
    ]
    if overrides:
        arguments += ["--override-file", os.path.abspath(overrides)]
    if typed:
        command = [sys.executable, "-c", TYPED_LOADER, ",".join(string_columns())] + arguments
    else:
        command = [sys.executable, "-m", "focus_validator.main"] + arguments
    # It opens its currency list by a relative path: run it from its own directory.
    subprocess.run(command, cwd=SITE, check=True, stdout=subprocess.DEVNULL)
    statuses = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        rule = case.get("name", "").split(" :: ")[0]
        status = "passed"
        for tag, name in (("failure", "failed"), ("error", "errored"), ("skipped", "skipped")):
            if case.find(tag) is not None:
                status = name
        statuses[rule] = status
    return statuses


def failing(statuses):
    return {rule for rule, status in statuses.items() if status in ("failed", "errored")}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    export, override_file = sys.argv[1], sys.argv[2]
    with open(override_file) as f:
        overrides = set(yaml.safe_load(f)["overrides"])
    workdir = tempfile.mkdtemp(prefix="focus-check-")
    ok = True

    first_row = os.path.join(workdir, "first-row.csv")
    with open(export, newline="") as source, open(first_row, "w", newline="") as target:
        target.write(source.readline())
        target.write(source.readline())

    as_shipped = failing(validate(first_row, workdir, typed=False))
    typed = failing(validate(first_row, workdir, typed=True))
    for rule in sorted(overrides):
        shown = rule in as_shipped and rule in typed
        ok &= shown
        print(f"{'ok  ' if shown else 'FAIL'} override {rule}: "
              f"{'fails' if shown else 'does not fail'} on the export's first row")
    for rule in sorted(as_shipped - typed):
        expected = rule.endswith("_IsString")
        ok &= expected
        print(f"{'ok  ' if expected else 'FAIL'} {rule}: fails only because pandas reads an "
              f"all-digit ID as an integer; passes with the column read as text")
    for rule in sorted(typed - overrides):
        ok = False
        print(f"FAIL {rule} fails on the first row and is not an override")

    statuses = validate(export, workdir, typed=True, overrides=override_file)
    counts = {}
    for rule, status in sorted(statuses.items()):
        counts[status] = counts.get(status, 0) + 1
        if status in ("failed", "errored"):
            ok = False
            print(f"FAIL {rule}: {status}")
    with open(export) as f:
        rows = sum(1 for _ in f) - 1
    print(f"focus-validator {VERSION}, {rows} rows: "
          + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
          + (" (the override file)" if counts.get("skipped") else ""))
    shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
