#!/usr/bin/env bash
# Build-time figures for benches/README.md (section 4).
#
# 1. A consumer crate: a new crate that depends on gcore-billing, built cold the way cargo builds a
#    crates.io dependency (no incremental caches, the consumer's own default dev profile: this
#    workspace's [profile] settings do not apply to it), once with the default features (build.rs
#    runs the generator, so progenitor is compiled) and once with `default-features = false` (the
#    committed generated/ source is compiled as is); then the same two with the IDNA back end a
#    fresh lock picks (ICU4X) instead of this workspace's pinned idna_adapter 1.1 (unicode-rs).
# 2. This workspace: the same two cold builds of the library, a no-op rebuild, and rebuilds after
#    spec edits (touch only, an operation summary, a new field in the error body that every
#    operation's error type carries, a new field in one answer type, a new field in a request type).
#
# Each cold build has its own target directory, so it starts cold; the registry is fetched first.
# Usage: [REPEAT=n] bash benches/build_times.sh [TARGET_ROOT]   (about 20 minutes on 2 cores with
# REPEAT=1, and 5 minutes more for each further repeat)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
root=${1:-/tmp/gcore-billing-build-times}
rm -rf "$root"
mkdir -p "$root"
spec=openapi/gcore-billing.yaml
backup=$(mktemp)
cp "$spec" "$backup"
trap 'cp "$backup" "$spec"; rm -f "$backup"' EXIT

seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  python3 -c "print(round($end - $start, 1))"
}

cargo fetch >/dev/null 2>&1

# 1. The consumer crate.
consumer() {
  local dir=$root/consumer-$1 features=$2
  mkdir -p "$dir/src"
  cat >"$dir/Cargo.toml" <<EOF
[package]
name = "uses-gcore-billing"
version = "0.1.0"
edition = "2024"

[dependencies]
gcore-billing = { path = "$repo"$features }

[workspace]
EOF
  echo 'fn main() { let _ = gcore_billing::Client::builder(); }' >"$dir/src/main.rs"
  cp Cargo.lock "$dir/Cargo.lock"
  # "icu": the IDNA back end a fresh lock resolves to (ICU4X), instead of this workspace's pin.
  if [ "${3:-}" = icu ]; then (cd "$dir" && cargo update -q -p idna_adapter); fi
  (cd "$dir" && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$dir/target" seconds cargo build)
  rm -rf "$dir/target" # a cold target directory is over 1 GB; the repeats would add up
}
# REPEAT=n builds each consumer n times, alternating default and plain so that a slow spell of the
# machine hits both, and reports the medians (every run is listed too). One pair's ratio has moved
# by 0.1 between identical builds on the 2-core machine.
repeat=${REPEAT:-1}
median() { printf '%s\n' "$@" | sort -n | python3 -c "import sys; v=[float(x) for x in sys.stdin]; print(v[len(v)//2] if len(v)%2 else round((v[len(v)//2-1]+v[len(v)//2])/2, 1))"; }
consumer_pair() {
  local lock=${1:-} defaults=() plains=()
  for n in $(seq "$repeat"); do
    defaults+=("$(consumer "default${lock:+-$lock}-$n" "" "$lock")")
    plains+=("$(consumer "plain${lock:+-$lock}-$n" ", default-features = false" "$lock")")
  done
  echo "$(median "${defaults[@]}") $(median "${plains[@]}") (runs: ${defaults[*]} / ${plains[*]})"
}
read -r consumer_default consumer_plain consumer_runs <<<"$(consumer_pair)"
read -r consumer_default_icu consumer_plain_icu consumer_runs_icu <<<"$(consumer_pair icu)"

# 2. This workspace.
build() { CARGO_TARGET_DIR="$root/$1" cargo build --lib "${@:2}"; }
cold_default=$(seconds build default)
cold_plain=$(seconds build plain --no-default-features)
noop=$(seconds build default)
# Each edit three times (edit, timed build, restore, untimed build); the median is printed, since
# one rebuild of a few seconds varies by a second on a shared machine.
edit_and_build() {
  local times=()
  for _ in 1 2 3; do
    cp "$backup" "$spec"
    "$@"
    times+=("$(seconds build default)")
    cp "$backup" "$spec"
    build default >/dev/null 2>&1
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 2p
}
# Touch without change: the generator reruns and so does rustc (cargo rebuilds a crate whenever its
# build script reran), but incremental compilation reuses nearly everything.
touch_only=$(edit_and_build touch "$spec")
doc=$(edit_and_build sed -i "s/summary: Detailed cost report, one row per resource/summary: Detailed cost report, one row per resource (edited)/" "$spec")
error_field=$(edit_and_build sed -i '/^        exception_class: {type: string/a\        trace_id: {type: string, description: Trace to quote to support.}' "$spec")
answer_field=$(edit_and_build sed -i '/^        region_name: {type: string, description: Region name.}/a\        zone_name: {type: string, description: Zone name.}' "$spec")
add_request_field() {
  local line
  line=$(grep -n -m1 '^        enable_last_day: {type: boolean' "$spec" | cut -d: -f1)
  sed -i "${line}a\\        dry_run: {type: boolean, description: Check the request only.}" "$spec"
}
request_field=$(edit_and_build add_request_field)
cp "$backup" "$spec"
seconds build default >/dev/null

ratio() { python3 -c "print(round($1 / $2, 2))"; }
echo "consumer crate, cold, default features (codegen): ${consumer_default} s"
echo "consumer crate, cold, default-features = false:   ${consumer_plain} s ($(ratio "$consumer_plain" "$consumer_default")x)"
echo "  each run, default / plain:                      ${consumer_runs}"
echo "the same two with ICU4X under url (a fresh lock):  ${consumer_default_icu} s, ${consumer_plain_icu} s ($(ratio "$consumer_plain_icu" "$consumer_default_icu")x)"
echo "  each run, default / plain:                      ${consumer_runs_icu}"
echo "workspace lib, cold, default features:            ${cold_default} s"
echo "workspace lib, cold, --no-default-features:       ${cold_plain} s ($(ratio "$cold_plain" "$cold_default")x)"
echo "no-op rebuild:                                    ${noop} s"
echo "rebuild after touching the spec only:             ${touch_only} s"
echo "rebuild after a spec doc edit:                    ${doc} s"
echo "rebuild after a new field in the error body:      ${error_field} s"
echo "rebuild after a new field in an answer type:      ${answer_field} s"
echo "rebuild after a new field in a request type:      ${request_field} s"
