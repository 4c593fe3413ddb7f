#!/usr/bin/env bash
# Times `rehab migrate` of 200 small generated migrations on an empty database against the floor:
# `psql -1 -f` of the same SQL concatenated, in the same run on the same server. Best of RUNS each.
# Usage: bench/migrate.sh [COUNT] [RUNS]   (server: PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432 postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
runs=${2:-5}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
cargo build --release --quiet
rehab=target/release/rehab
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists rehab_bench_migrate 2>/dev/null || true' EXIT

mkdir "$work/migrations"
for i in $(seq 1 "$count"); do
  cat >"$work/migrations/V${i}__step_${i}.sql" <<SQL
CREATE TABLE bench_t${i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX bench_t${i}_created_idx ON bench_t${i} (created_at);
INSERT INTO bench_t${i} (note) VALUES ('migration ${i}');
SQL
done
cat "$work"/migrations/V{1..200}__*.sql >"$work/all.sql" 2>/dev/null || ls "$work"/migrations/*.sql | sort -V | xargs cat >"$work/all.sql"

now() { date +%s%N; }
best_rehab=""; best_psql=""
for _ in $(seq 1 "$runs"); do
  dropdb --if-exists rehab_bench_migrate; createdb rehab_bench_migrate
  t0=$(now); psql -q -X -v ON_ERROR_STOP=1 -1 -f "$work/all.sql" -d rehab_bench_migrate >/dev/null; t1=$(now)
  ms=$(( (t1 - t0) / 1000000 )); [ -z "$best_psql" ] || [ "$ms" -lt "$best_psql" ] && best_psql=$ms

  dropdb --if-exists rehab_bench_migrate; createdb rehab_bench_migrate
  t0=$(now); "$rehab" -q --database-url "postgresql://$PGUSER@$PGHOST:$PGPORT/rehab_bench_migrate?sslmode=disable" \
    --migrations "$work/migrations" migrate >/dev/null; t1=$(now)
  ms=$(( (t1 - t0) / 1000000 )); [ -z "$best_rehab" ] || [ "$ms" -lt "$best_rehab" ] && best_rehab=$ms
done
applied=$(psql -X -tA -d rehab_bench_migrate -c "SELECT count(*) FROM refinery_schema_history")
[ "$applied" = "$count" ] || { echo "rehab applied $applied of $count migrations" >&2; exit 1; }
ratio=$(awk -v a="$best_rehab" -v b="$best_psql" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }')
echo "migrations:            $count (best of $runs runs)"
echo "psql -1 -f (floor):    ${best_psql} ms"
echo "rehab migrate:         ${best_rehab} ms"
echo "ratio rehab / floor:   ${ratio}x"
