#!/usr/bin/env bash
# Build-time figures for benches/README.md: cold builds with and without the codegen feature, a no-op
# rebuild, and a rebuild after a spec edit. Uses its own target directories so it starts cold.
# Usage: bash benches/build_times.sh [TARGET_ROOT]   (takes several minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-/tmp/gcore-billing-build-times}
rm -rf "$root"
mkdir -p "$root"
spec=openapi/gcore-billing.yaml
backup=$(mktemp)
cp "$spec" "$backup"
trap 'cp "$backup" "$spec"; rm -f "$backup"' EXIT

seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1; end=$(date +%s.%N); python3 -c "print(round($end - $start, 1))"; }

cargo fetch >/dev/null 2>&1
cold_default=$(seconds env CARGO_TARGET_DIR="$root/default" cargo build --lib)
cold_plain=$(seconds env CARGO_TARGET_DIR="$root/plain" cargo build --lib --no-default-features)
noop=$(seconds env CARGO_TARGET_DIR="$root/default" cargo build --lib)
# Touch without change: the generator reruns and so does rustc (cargo rebuilds a crate whenever its
# build script reran), but incremental compilation reuses nearly everything.
touch "$spec"
touch_only=$(seconds env CARGO_TARGET_DIR="$root/default" cargo build --lib)
# A documentation edit: an operation summary changes, so the generated doc comments change.
sed -i "s/summary: Detailed cost report, one row per resource/summary: Detailed cost report, one row per resource (edited)/" "$spec"
edit=$(seconds env CARGO_TARGET_DIR="$root/default" cargo build --lib)
cp "$backup" "$spec"
# A type edit: a new field in the error body, so a struct and its builder change.
sed -i '/^        exception_class: {type: string/a\        trace_id: {type: string, description: Trace to quote to support.}' "$spec"
field=$(seconds env CARGO_TARGET_DIR="$root/default" cargo build --lib)
cp "$backup" "$spec"
echo "cold build, default features (codegen): ${cold_default} s"
echo "cold build, --no-default-features:      ${cold_plain} s"
echo "no-op rebuild:                          ${noop} s"
echo "rebuild after a spec doc edit:          ${edit} s"
echo "rebuild after adding a spec field:      ${field} s"
echo "rebuild after touching the spec only:   ${touch_only} s"
