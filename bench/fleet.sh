#!/usr/bin/env bash
# Times `rehab --fleet` migrating N databases with the bundled schema pending, at parallel 1, 4 and 8, against a
# shell loop of `rehab migrate` over the same databases, in one run on the same server. The databases are
# dropped and created empty before each variant, so every variant applies the same migrations.
#
# Usage: bench/fleet.sh [N]   (default 100)
# Server: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432, postgres). Needs psql (postgresql-client).
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-100}
host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
user=${PGUSER:-postgres}
prefix=rehab_bench_fleet_$$
conn=(-h "$host" -p "$port" -U "$user")
work=$(mktemp -d)

cargo build --release --quiet
rehab=$PWD/target/release/rehab

url() { echo "postgresql://${user}@${host}:${port}/${prefix}_$1?sslmode=disable"; }
sql_each() { for i in $(seq 1 "$n"); do printf "$1\n" "${prefix}_$i"; done; }
drop_all() { sql_each 'DROP DATABASE IF EXISTS "%s" WITH (FORCE);' | psql "${conn[@]}" -d postgres -qX >/dev/null; }
cleanup() { drop_all || true; rm -rf "$work"; }
trap cleanup EXIT

recreate() {
  drop_all
  sql_each 'CREATE DATABASE "%s";' | psql "${conn[@]}" -d postgres -qX >/dev/null
}

for i in $(seq 1 "$n"); do url "$i"; done > "$work/tenants.txt"
fleet_config() { printf '[fleets.bench]\nurls_file = "tenants.txt"\nparallel = %s\n' "$1" > "$work/rehab.toml"; }

now() { date +%s.%N; }
# timed COMMAND...: runs it once on freshly created databases and prints the seconds it took.
timed() {
  recreate
  local start end
  start=$(now)
  "$@" >/dev/null
  end=$(now)
  echo "$end - $start" | bc -l
}

loop() {
  for i in $(seq 1 "$n"); do "$rehab" --database-url "$(url "$i")" --quiet migrate; done
}

fleet() {
  fleet_config "$1"
  (cd "$work" && "$rehab" --fleet bench --quiet migrate)
}

# Every database must have the whole schema: a fast run that failed would prove nothing.
check_all_migrated() {
  local bad=0 v
  for i in $(seq 1 "$n"); do
    v=$(psql "${conn[@]}" -d "${prefix}_$i" -AtXc 'SELECT max(version) FROM refinery_schema_history')
    [ "$v" = "$latest" ] || bad=$((bad + 1))
  done
  [ "$bad" = 0 ] || { echo "$bad databases not at V$latest" >&2; exit 1; }
}

recreate
"$rehab" --database-url "$(url 1)" --quiet migrate
latest=$("$rehab" --database-url "$(url 1)" --format json current | sed -n 's/.*"version": \([0-9]*\).*/\1/p')
echo "server $(psql "${conn[@]}" -d postgres -AtXc 'SHOW server_version'), $n databases, bundled schema V1..V${latest}"

t_loop=$(timed loop); check_all_migrated
t_p1=$(timed fleet 1); check_all_migrated
t_p4=$(timed fleet 4); check_all_migrated
t_p8=$(timed fleet 8); check_all_migrated

row() { printf '%-34s %8.2f s   %5.2fx\n' "$1" "$2" "$(echo "$t_loop / $2" | bc -l)"; }
printf '%-34s %10s   %s\n' "variant" "wall" "speed-up over the loop"
row "shell loop of rehab migrate" "$t_loop"
row "rehab --fleet, parallel = 1" "$t_p1"
row "rehab --fleet, parallel = 4" "$t_p4"
row "rehab --fleet, parallel = 8" "$t_p8"
