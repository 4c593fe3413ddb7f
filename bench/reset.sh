#!/usr/bin/env bash
# Times `rehab reset --yes` of the full bundled schema against `dropdb && createdb && rehab setup`, in the
# same run on the same server, best of N each, and prints both and the ratio.
#
# Usage: bench/reset.sh [RUNS]   (default 5)
# Server: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432, postgres). Needs dropdb/createdb (postgresql-client).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-5}
host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
user=${PGUSER:-postgres}
db=rehab_bench_reset_$$
url="postgresql://${user}@${host}:${port}/${db}?sslmode=disable"
conn=(-h "$host" -p "$port" -U "$user")

cargo build --release --quiet
rehab=target/release/rehab

cleanup() { dropdb "${conn[@]}" --if-exists --force "$db" >/dev/null 2>&1 || true; }
trap cleanup EXIT

now() { date +%s.%N; }
# best_of NAME COMMAND...: runs COMMAND $runs times and prints the fastest wall-clock time in seconds.
best_of() {
  local best="" start end took
  for _ in $(seq 1 "$runs"); do
    start=$(now)
    "$@" >/dev/null
    end=$(now)
    took=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$took < $best" | bc -l)" = 1 ]; then best=$took; fi
  done
  echo "$best"
}

recreate() {
  dropdb "${conn[@]}" --if-exists --force "$db"
  createdb "${conn[@]}" "$db"
  "$rehab" --database-url "$url" --quiet setup
}

reset() {
  "$rehab" --database-url "$url" --quiet --yes reset
}

"$rehab" --database-url "$url" --quiet setup >/dev/null
migrations=$("$rehab" --database-url "$url" --format json current | sed -n 's/.*"version": \([0-9]*\).*/\1/p')
echo "server $(psql "${conn[@]}" -d "$db" -Atc 'SHOW server_version'), bundled schema at V${migrations}, best of ${runs}"

t_recreate=$(best_of recreate)
t_reset=$(best_of reset)

printf 'dropdb && createdb && rehab setup: %6.0f ms\n' "$(echo "$t_recreate * 1000" | bc -l)"
printf 'rehab reset --yes:                 %6.0f ms\n' "$(echo "$t_reset * 1000" | bc -l)"
printf 'ratio reset / recreate:            %6.2f\n' "$(echo "$t_reset / $t_recreate" | bc -l)"
