#!/usr/bin/env bash
# Benchmark `rehab seed` against its floor and against `pgbench -i` on the same server, in one run.
#
# The floor is the same server work without rehab: the seeded tables exported with server-side
# `COPY ... TO` files, replayed into a fresh database (bundled schema, `rehab setup`) in one transaction with
# the same trigger-guarded TRUNCATE, drops, `COPY ... FROM` files (FREEZE), rebuild, setval and ANALYZE
# (script written by bench/seed_floor.sql). rehab's time over the floor's is the cost of being a client.
#
#   bench/seed.sh                      # demo profile, scale 1
#   PROFILE=load bench/seed.sh         # >= 10 million events
#   SCALE=2 bench/seed.sh              # demo x 2
#   KEEP=1 bench/seed.sh               # also time a seed with keys, checks and indexes kept in place
#
# Connection: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432, postgres; a superuser, and the server on this
# machine: it writes the floor's files under FLOOR_DIR, default /tmp/rehab_bench_floor, created and removed
# by the server itself so they belong to its OS user). Creates and drops the scratch databases
# rehab_bench_seed, rehab_bench_floor and rehab_bench_pgbench. Reports rows/s and MiB/s written (heap only, and
# heap + TOAST + indexes) for both, and the ratio seed / pgbench.
set -euo pipefail
cd "$(dirname "$0")/.."
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
PROFILE=${PROFILE:-demo}
SCALE=${SCALE:-1}
PGBENCH_SCALE=${PGBENCH_SCALE:-50}
SEED_DB=rehab_bench_seed
PGB_DB=rehab_bench_pgbench
FLOOR_DB=rehab_bench_floor
FLOOR_DIR=${FLOOR_DIR:-/tmp/rehab_bench_floor}
URL="postgresql://${PGUSER}@${PGHOST}:${PGPORT}/${SEED_DB}"

cargo build --release --quiet
REHAB=target/release/rehab
now() { date +%s.%N; }
# The server creates and removes the export folder, so its files are the server's own (COPY TO/FROM files).
server_sh() { psql -X -q -d postgres -c "COPY (SELECT 1) TO PROGRAM '$1; cat >/dev/null'" >/dev/null; }
cleanup() {
  for db in "$SEED_DB" "$FLOOR_DB" "$PGB_DB"; do dropdb --if-exists --force "$db" >/dev/null 2>&1 || true; done
  server_sh "rm -rf $FLOOR_DIR" 2>/dev/null || true
  rm -f /tmp/rehab_bench_floor.sql
}
trap cleanup EXIT
cleanup

echo "server: $(psql -d postgres -Atc 'SHOW server_version') on $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')"

# --- rehab seed -----------------------------------------------------------------------------------
"$REHAB" --database-url "$URL" setup --quiet >/dev/null
t0=$(now)
"$REHAB" --database-url "$URL" --quiet --format json seed --profile "$PROFILE" --scale "$SCALE" >/tmp/rehab_bench_seed.json
t1=$(now)
seed_s=$(echo "$t1 - $t0" | bc -l)
seed_rows=$(jq '.total_rows' /tmp/rehab_bench_seed.json)
seed_heap=$(jq '.heap_mib' /tmp/rehab_bench_seed.json)
seed_total=$(jq '.total_mib' /tmp/rehab_bench_seed.json)
events=$(jq '.tables[] | select(.table == "event_store.events") | .rows' /tmp/rehab_bench_seed.json)
jq -r '"  seed phases: load \(.load_seconds|.*10|round/10) s, keys+checks+indexes \(.index_seconds|.*10|round/10) s, analyze \(.analyze_seconds|.*10|round/10) s"' /tmp/rehab_bench_seed.json

if [[ "${KEEP:-0}" == 1 ]]; then
  t0=$(now)
  "$REHAB" --database-url "$URL" --quiet --format json seed --profile "$PROFILE" --scale "$SCALE" --replace --keep-indexes >/dev/null
  keep_s=$(echo "$(now) - $t0" | bc -l)
  printf '  same seed with keys, checks and indexes kept during COPY: %.1f s (deferred: %.1f s)\n' "$keep_s" "$seed_s"
fi

# --- the floor: the same rows and rebuild, server-side, in one transaction ---------------------------
tables=$(jq -r '[.tables[].table] | join(",")' /tmp/rehab_bench_seed.json)
server_sh "rm -rf $FLOOR_DIR && mkdir -m 700 $FLOOR_DIR"
for t in ${tables//,/ }; do
  psql -X -q -d "$SEED_DB" -c "COPY $t TO '$FLOOR_DIR/$t.bin' (FORMAT binary)"
done
createdb "$FLOOR_DB"
"$REHAB" --database-url "postgresql://${PGUSER}@${PGHOST}:${PGPORT}/${FLOOR_DB}" setup --quiet >/dev/null
psql -X -q -d "$FLOOR_DB" -v tables="$tables" -v dir="$FLOOR_DIR" -v script=/tmp/rehab_bench_floor.sql \
  -f bench/seed_floor.sql >/dev/null
t0=$(now)
psql -X -q -v ON_ERROR_STOP=1 -1 -d "$FLOOR_DB" -f /tmp/rehab_bench_floor.sql >/dev/null
floor_s=$(echo "$(now) - $t0" | bc -l)
floor_rows=0
for t in ${tables//,/ }; do floor_rows=$((floor_rows + $(psql -X -At -d "$FLOOR_DB" -c "SELECT count(*) FROM $t"))); done
dropdb --force "$FLOOR_DB"
server_sh "rm -rf $FLOOR_DIR"

# --- pgbench -i -------------------------------------------------------------------------------------
createdb "$PGB_DB"
t0=$(now)
pgbench -i -q -s "$PGBENCH_SCALE" "$PGB_DB" >/dev/null 2>&1
t1=$(now)
pgb_s=$(echo "$t1 - $t0" | bc -l)
read -r pgb_rows pgb_heap pgb_total < <(psql -d "$PGB_DB" -Atc "
  SELECT sum(n_live_tup), sum(pg_relation_size(relid)) / 1048576.0, sum(pg_total_relation_size(relid)) / 1048576.0
    FROM pg_stat_user_tables WHERE relname LIKE 'pgbench_%'" | tr '|' ' ')

printf '\n%-28s %12s %10s %12s %10s %12s %12s\n' "run" "rows" "seconds" "rows/s" "heap MiB" "heap MiB/s" "total MiB/s"
printf '%-28s %12d %10.1f %12.0f %10.0f %12.1f %12.1f\n' "rehab seed $PROFILE x$SCALE" "$seed_rows" "$seed_s" \
  "$(echo "$seed_rows / $seed_s" | bc -l)" "$seed_heap" "$(echo "$seed_heap / $seed_s" | bc -l)" "$(echo "$seed_total / $seed_s" | bc -l)"
printf '%-28s %12d %10.1f %12.0f %10.0f %12.1f %12.1f\n' "pgbench -i -s $PGBENCH_SCALE" "$pgb_rows" "$pgb_s" \
  "$(echo "$pgb_rows / $pgb_s" | bc -l)" "$pgb_heap" "$(echo "$pgb_heap / $pgb_s" | bc -l)" "$(echo "$pgb_total / $pgb_s" | bc -l)"
printf '%-28s %12d %10.1f %12.0f\n' "floor (server-side COPY)" "$floor_rows" "$floor_s" "$(echo "$floor_rows / $floor_s" | bc -l)"
printf '\nrehab seed / floor: %.2fx (%.1f s / %.1f s, same rows, same drops and rebuild, one transaction each)\n' \
  "$(echo "$seed_s / $floor_s" | bc -l)" "$seed_s" "$floor_s"
printf 'ratio seed/pgbench: heap MiB/s %.2fx, total MiB/s %.2fx, rows/s %.2fx (events: %d)\n' \
  "$(echo "($seed_heap / $seed_s) / ($pgb_heap / $pgb_s)" | bc -l)" \
  "$(echo "($seed_total / $seed_s) / ($pgb_total / $pgb_s)" | bc -l)" \
  "$(echo "($seed_rows / $seed_s) / ($pgb_rows / $pgb_s)" | bc -l)" "$events"
