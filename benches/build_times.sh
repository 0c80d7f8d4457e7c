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
# Every build is timed by benches/timed.py: wall time, CPU time of the build's processes, and the
# host's steal (the CPU other guests of a shared virtual machine took meanwhile).
# Usage: [REPEAT=n] [ONLY=consumer|workspace] bash benches/build_times.sh [TARGET_ROOT]   (about 25
# minutes on 2 cores with REPEAT=1, and 5 minutes more for each further repeat; ONLY=consumer stops
# after part 1, about 5 minutes a repeat; ONLY=workspace skips it, about 15 minutes)
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

# "<wall s> <cpu s> <steal %>" of a command (benches/timed.py): wall time, the CPU time of the
# build's processes, and the share of the host's CPU that other guests took meanwhile.
# A build that fails leaves a mark (its figures would be empty), and the script stops before it
# prints anything.
timed() { python3 "$repo/benches/timed.py" "$@" || touch "$root/failed"; }

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
  (cd "$dir" && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$dir/target" timed cargo build)
  rm -rf "$dir/target" # a cold target directory is over 1 GB; the repeats would add up
}
# REPEAT=n builds each consumer n times, alternating default and plain so that a slow spell of the
# machine hits both, and reports the medians of wall and CPU time (every run is listed too, with
# the host's steal). One pair's wall-time ratio has moved by 0.2 between identical builds on the
# 2-core machine; the CPU-time ratio much less.
repeat=${REPEAT:-1}
median() { printf '%s\n' "$@" | sort -n | python3 -c "import sys; v=[float(x) for x in sys.stdin]; print(v[len(v)//2] if len(v)%2 else round((v[len(v)//2-1]+v[len(v)//2])/2, 1))"; }
ratio() { python3 -c "print(round($1 / $2, 2))"; }
# One line per lock: "<default wall> <plain wall> <wall ratio> <default cpu> <plain cpu> <cpu ratio>",
# medians, then every run as wall/cpu/steal%.
consumer_pair() {
  local lock=${1:-} dwall=() pwall=() dcpu=() pcpu=() runs=() w c st
  for n in $(seq "$repeat"); do
    read -r w c st <<<"$(consumer "default${lock:+-$lock}-$n" "" "$lock")"
    dwall+=("$w") dcpu+=("$c") runs+=("default ${w}/${c}/${st}%")
    read -r w c st <<<"$(consumer "plain${lock:+-$lock}-$n" ", default-features = false" "$lock")"
    pwall+=("$w") pcpu+=("$c") runs+=("plain ${w}/${c}/${st}%")
  done
  local dw pw dc pc
  dw=$(median "${dwall[@]}") pw=$(median "${pwall[@]}") dc=$(median "${dcpu[@]}") pc=$(median "${pcpu[@]}")
  echo "$dw $pw $(ratio "$pw" "$dw") $dc $pc $(ratio "$pc" "$dc") ${runs[*]}"
}
if [ "${ONLY:-}" != workspace ]; then
  read -r c_dw c_pw c_wr c_dc c_pc c_cr c_runs <<<"$(consumer_pair)"
  read -r i_dw i_pw i_wr i_dc i_pc i_cr i_runs <<<"$(consumer_pair icu)"
fi

print_consumers() {
  [ "${ONLY:-}" = workspace ] && return 0
  echo "consumer crate, cold (this lock), medians of ${repeat}:"
  echo "  wall: default ${c_dw} s, default-features = false ${c_pw} s (${c_wr}x)"
  echo "  cpu:  default ${c_dc} s, default-features = false ${c_pc} s (${c_cr}x)"
  echo "  runs (wall/cpu/steal): ${c_runs}"
  echo "the same with ICU4X under url (a fresh lock), medians of ${repeat}:"
  echo "  wall: default ${i_dw} s, default-features = false ${i_pw} s (${i_wr}x)"
  echo "  cpu:  default ${i_dc} s, default-features = false ${i_pc} s (${i_cr}x)"
  echo "  runs (wall/cpu/steal): ${i_runs}"
}
failed() {
  if [ -e "$root/failed" ]; then
    echo "a timed build failed (timed.py named it above; rerun it by hand to see why); no figures" >&2
    exit 1
  fi
}
if [ "${ONLY:-}" = consumer ]; then
  failed
  print_consumers
  exit 0
fi

# 2. This workspace.
# `build <target dir name> [ARG...]`: the workspace's library, built in its own target directory.
build() { env CARGO_TARGET_DIR="$root/$1" cargo build --lib "${@:2}"; }
build_timed() { timed env CARGO_TARGET_DIR="$root/$1" cargo build --lib "${@:2}"; }
cold_default=$(build_timed default | cut -d' ' -f1)
cold_plain=$(build_timed plain --no-default-features | cut -d' ' -f1)
noop=$(build_timed default | cut -d' ' -f1)
# Each edit five times (edit, timed build, restore, untimed build); the median wall time is printed
# with every run's "wall/cpu/steal%", since one rebuild of a few seconds varies by a second or
# more on a shared machine.
edit_and_build() {
  local walls=() runs=() w c st
  for _ in 1 2 3 4 5; do
    cp "$backup" "$spec"
    "$@"
    read -r w c st <<<"$(build_timed default)"
    walls+=("$w") runs+=("${w}/${c}/${st}%")
    cp "$backup" "$spec"
    build default >/dev/null 2>&1
  done
  echo "$(median "${walls[@]}") s (runs: ${runs[*]})"
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
build default >/dev/null 2>&1

failed
print_consumers
echo "workspace lib, cold, default features:            ${cold_default} s"
echo "workspace lib, cold, --no-default-features:       ${cold_plain} s ($(ratio "$cold_plain" "$cold_default")x)"
echo "no-op rebuild:                                    ${noop} s"
echo "rebuild after touching the spec only:             ${touch_only}"
echo "rebuild after a spec doc edit:                    ${doc}"
echo "rebuild after a new field in the error body:      ${error_field}"
echo "rebuild after a new field in an answer type:      ${answer_field}"
echo "rebuild after a new field in a request type:      ${request_field}"
