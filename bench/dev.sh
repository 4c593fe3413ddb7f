#!/usr/bin/env bash
# Times `rehab dev start` from nothing (initdb included), a warm `start` after `stop`, `rehab setup` of the
# bundled schema on the dev cluster, and (as root) `rehab setup` through the embedded default on a machine with no
# server (`unshare -n`: nothing listens on localhost) starting the cluster from nothing, against the floor of
# running `initdb` alone, in the same run, best of N each.
# Each run uses its own throwaway data directory (REHAB_DEV_DIR), destroyed afterwards.
#
# Usage: bench/dev.sh [RUNS]   (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
cargo build --release --quiet
rehab=$PWD/target/release/rehab
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
work=$(mktemp -d /tmp/rehab-bench-dev.XXXXXX)
chmod 755 "$work"
cleanup() {
  for d in "$work"/run*; do REHAB_DEV_DIR=$d "$rehab" dev destroy --yes >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
best() { sort -n | head -n 1; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

initdb_ms=(); first=(); warm=(); setup=(); fallback=()
for i in $(seq 1 "$runs"); do
  floor="$work/floor$i"; mkdir -p "$floor"; [ "$(id -u)" -eq 0 ] && chown postgres "$floor"
  t0=$(now); as_postgres "$bin/initdb" -D "$floor/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null; t1=$(now)
  initdb_ms+=("$(ms "$t0" "$t1")")

  export REHAB_DEV_DIR="$work/run$i"
  t0=$(now); "$rehab" -q dev start >/dev/null; t1=$(now); first+=("$(ms "$t0" "$t1")")
  url=$("$rehab" dev url)
  t0=$(now); "$rehab" -q --database-url "$url" setup >/dev/null; t1=$(now); setup+=("$(ms "$t0" "$t1")")
  "$rehab" -q dev stop >/dev/null
  t0=$(now); "$rehab" -q dev start >/dev/null; t1=$(now); warm+=("$(ms "$t0" "$t1")")
  "$rehab" -q dev stop >/dev/null
  if [ "$(id -u)" -eq 0 ]; then
    export REHAB_DEV_DIR="$work/run${i}b"
    t0=$(now); unshare -n -- "$rehab" -q setup >/dev/null; t1=$(now); fallback+=("$(ms "$t0" "$t1")")
    "$rehab" -q dev stop >/dev/null
  fi
done
echo "runs:                              $runs (best of each)"
echo "initdb alone (floor):              $(printf '%s\n' "${initdb_ms[@]}" | best) ms"
echo "rehab dev start, first (initdb+):  $(printf '%s\n' "${first[@]}" | best) ms"
echo "rehab dev start, warm:             $(printf '%s\n' "${warm[@]}" | best) ms"
echo "rehab setup on the dev cluster:    $(printf '%s\n' "${setup[@]}" | best) ms"
if [ "${#fallback[@]}" -gt 0 ]; then
  echo "rehab setup, no server (fallback): $(printf '%s\n' "${fallback[@]}" | best) ms (initdb, start and migrate)"
fi
