#!/usr/bin/env bash
# Benchmark `rehab seed` against `pgbench -i` on the same server, in one run.
#
#   bench/seed.sh                      # demo profile, scale 1
#   PROFILE=load bench/seed.sh         # >= 10 million events
#   SCALE=2 bench/seed.sh              # demo x 2
#   KEEP=1 bench/seed.sh               # also time a seed with keys, checks and indexes kept in place
#
# Connection: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432, postgres). Creates and drops the scratch
# databases rehab_bench_seed and rehab_bench_pgbench. Reports rows/s and MiB/s written (heap only, and
# heap + TOAST + indexes) for both, and the ratio seed / pgbench.
set -euo pipefail
cd "$(dirname "$0")/.."
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
PROFILE=${PROFILE:-demo}
SCALE=${SCALE:-1}
PGBENCH_SCALE=${PGBENCH_SCALE:-50}
SEED_DB=rehab_bench_seed
PGB_DB=rehab_bench_pgbench
URL="postgresql://${PGUSER}@${PGHOST}:${PGPORT}/${SEED_DB}"

cargo build --release --quiet
REHAB=target/release/rehab
now() { date +%s.%N; }
cleanup() { dropdb --if-exists --force "$SEED_DB" >/dev/null 2>&1 || true; dropdb --if-exists --force "$PGB_DB" >/dev/null 2>&1 || true; }
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
printf '\nratio seed/pgbench: heap MiB/s %.2fx, total MiB/s %.2fx, rows/s %.2fx (events: %d)\n' \
  "$(echo "($seed_heap / $seed_s) / ($pgb_heap / $pgb_s)" | bc -l)" \
  "$(echo "($seed_total / $seed_s) / ($pgb_total / $pgb_s)" | bc -l)" \
  "$(echo "($seed_rows / $seed_s) / ($pgb_rows / $pgb_s)" | bc -l)" "$events"
