"""Export the detailed cost report to CSV with the official Python SDK `gcore`, the way a user would:
page through `get_detailed` with limit/offset and write the same columns as `gcore-billing export
detailed` (the fields every resource type has).

Usage: GCORE_API_KEY=... GCORE_BASE_URL=... python3 benches/python_export.py OUTPUT.csv
"""
import csv
import json
import sys
from datetime import datetime

from gcore import Gcore

# The CLI's default columns (the fields every resource type has, and the spec's
# x-gcore-default-columns: `region` left out, `last_name`, `tags` and `uuid` added).
COLUMNS = ["type", "billing_feature_name", "billing_metric_name", "billing_value", "billing_value_unit", "cost",
           "currency", "err", "first_seen", "last_seen", "project_id", "region_id", "last_name", "tags", "uuid"]
PAGE = 1000


def cell(row, column):
    value = row.get(column)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return value


def main():
    client = Gcore()  # reads GCORE_API_KEY and GCORE_BASE_URL
    kwargs = dict(time_from=datetime.fromisoformat("2024-08-01T00:00:00+00:00"),
                  time_to=datetime.fromisoformat("2024-09-01T00:00:00+00:00"))
    written, offset, count = 0, 0, None
    with open(sys.argv[1], "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        while count is None or offset < count:
            page = client.cloud.cost_reports.get_detailed(limit=PAGE, offset=offset, **kwargs)
            count = page.count
            if not page.results:
                break
            for row in page.results:
                writer.writerow([cell(row.model_dump(mode="json"), c) for c in COLUMNS])
            written += len(page.results)
            offset += len(page.results)
    print(f"wrote {written} of {count} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
