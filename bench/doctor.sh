#!/usr/bin/env bash
# Times `rehab doctor` on a database with the full bundled schema and 1 million, then 10 million events
# (the same database, grown), with three projections a little behind. Prints the wall time of each size
# and the ratio 10M / 1M. Uses hyperfine when installed (apt-get install hyperfine), else a bash loop.
# Usage: [SIZES="1000000 10000000"] bench/doctor.sh [RUNS]   (server: PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432 postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
read -ra sizes <<<"${SIZES:-1000000 10000000}"   # SIZES="a b": smaller sizes for a quick try
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
db=rehab_bench_doctor
url="postgresql://$PGUSER@$PGHOST:$PGPORT/$db"
cargo build --release --quiet
rehab=target/release/rehab
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$db" 2>/dev/null || true' EXIT

dropdb --if-exists "$db"
"$rehab" -q --database-url "$url" setup >/dev/null
psql -q -X -v ON_ERROR_STOP=1 -d "$db" -c "INSERT INTO projections.projection_versions (projection_name) VALUES ('adherence'), ('quality'), ('work_queue')"

# Appends events up to position $1, 1 million per statement (one transaction each). Ordered UUIDs keep
# the unique indexes append-only, as UUIDv7 ids would in production.
grow_to() {
  local have; have=$(psql -X -tA -d "$db" -c "SELECT coalesce(max(global_position), 0) FROM event_store.events")
  while [ "$have" -lt "$1" ]; do
    local to=$(( have + 1000000 < $1 ? have + 1000000 : $1 ))
    psql -q -X -v ON_ERROR_STOP=1 -d "$db" -c "
      INSERT INTO event_store.events (event_id, stream_id, stream_type, stream_version, event_type, data, occurred_at, recorded_at)
      SELECT lpad(to_hex(i), 32, '0')::uuid, lpad(to_hex(i / 10), 32, '0')::uuid, 'exercise_session', i % 10 + 1,
             'RepAnalyzed', jsonb_build_object('patient', i % 1000, 'score', i % 100),
             now() - make_interval(secs => ($1 - i) / 100.0), now() - make_interval(secs => ($1 - i) / 100.0)
        FROM generate_series($have + 1, $to) AS i"
    have=$to
  done
  # Projections 500 events behind the head; statistics up to date, as autovacuum would leave them.
  psql -q -X -v ON_ERROR_STOP=1 -d "$db" -c "UPDATE projections.projection_versions SET last_position = $1 - 500, updated_at = now()" \
    -c "VACUUM (ANALYZE) event_store.events"
}

now() { date +%s%N; }
declare -A median
for n in "${sizes[@]}"; do
  t0=$(now); grow_to "$n"; t1=$(now)
  echo "grew event_store.events to $n rows in $(( (t1 - t0) / 1000000000 )) s" >&2
  "$rehab" --database-url "$url" doctor >"$work/report-$n.txt" || { cat "$work/report-$n.txt"; exit 1; }
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 2 --runs "$runs" --export-csv "$work/$n.csv" "$rehab --database-url $url doctor" >&2
    median[$n]=$(awk -F, 'NR == 2 { printf "%.0f", $4 * 1000 }' "$work/$n.csv")
  else
    times=()
    for _ in $(seq 1 "$runs"); do
      t0=$(now); "$rehab" --database-url "$url" doctor >/dev/null; t1=$(now)
      times+=($(( (t1 - t0) / 1000000 )))
    done
    median[$n]=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  fi
done
echo "rehab doctor, median of $runs runs (full report for the largest size below):"
for n in "${sizes[@]}"; do printf '  %10d events: %5d ms\n' "$n" "${median[$n]}"; done
awk -v a="${median[${sizes[1]}]}" -v b="${median[${sizes[0]}]}" 'BEGIN { printf "  ratio 10x rows / 1x: %.2f\n", a / (b > 0 ? b : 1) }'
tail -n 1 "$work/report-${sizes[1]}.txt"
