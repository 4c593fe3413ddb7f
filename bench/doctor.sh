#!/usr/bin/env bash
# Times `rehab doctor` on two databases with the full bundled schema, one with 1 million and one with
# 10 million events (the second is a copy of the first, grown), each with three projections 500 events
# behind. Both are measured in the same hyperfine call (or the same bash loop), so machine load hits both
# alike. Prints the median wall time of each and the ratio 10M / 1M.
# Usage: [SIZES="1000000 10000000"] bench/doctor.sh [RUNS]   (server: PGHOST/PGPORT/PGUSER, default
# 127.0.0.1:5432 postgres). Uses hyperfine when installed (apt-get install hyperfine), else a bash loop.
# KEEP=1 keeps the databases afterwards, and a later run reuses them (only measures); drop them with
# `dropdb rehab_bench_doctor_<N>`.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
read -ra sizes <<<"${SIZES:-1000000 10000000}"   # SIZES="a b": smaller sizes for a quick try
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
cargo build --release --quiet
rehab=target/release/rehab
work=$(mktemp -d)
dbs=()
cleanup() {
  rm -rf "$work"
  [ "${KEEP:-}" = 1 ] || for d in "${dbs[@]}"; do dropdb --if-exists "$d" 2>/dev/null || true; done
}
trap cleanup EXIT
url() { echo "postgresql://$PGUSER@$PGHOST:$PGPORT/$1"; }

# Appends events to database $1 up to position $2, 1 million per statement (one transaction each).
# Ordered UUIDs keep the unique indexes append-only, as UUIDv7 ids would in production.
grow_to() {
  local db=$1 n=$2 have to
  have=$(psql -X -tA -d "$db" -c "SELECT coalesce(max(global_position), 0) FROM event_store.events")
  while [ "$have" -lt "$n" ]; do
    to=$(( have + 1000000 < n ? have + 1000000 : n ))
    psql -q -X -v ON_ERROR_STOP=1 -d "$db" -c "
      INSERT INTO event_store.events (event_id, stream_id, stream_type, stream_version, event_type, data, occurred_at, recorded_at)
      SELECT lpad(to_hex(i), 32, '0')::uuid, lpad(to_hex(i / 10), 32, '0')::uuid, 'exercise_session', i % 10 + 1,
             'RepAnalyzed', jsonb_build_object('patient', i % 1000, 'score', i % 100),
             now() - make_interval(secs => ($n - i) / 100.0), now() - make_interval(secs => ($n - i) / 100.0)
        FROM generate_series($have + 1, $to) AS i"
    have=$to
  done
  # Projections 500 events behind the head; statistics up to date, as autovacuum would leave them.
  psql -q -X -v ON_ERROR_STOP=1 -d "$db" \
    -c "UPDATE projections.projection_versions SET last_position = $n - 500, updated_at = now()" \
    -c "VACUUM (ANALYZE) event_store.events"
}

now() { date +%s%N; }
previous=""
for n in "${sizes[@]}"; do
  db="rehab_bench_doctor_$n"; dbs+=("$db")
  t0=$(now)
  if [ "${KEEP:-}" = 1 ] && psql -X -tA -d "$db" -c "SELECT 1 FROM event_store.events WHERE global_position = $n" 2>/dev/null | grep -q 1; then
    : # kept from an earlier KEEP=1 run, already complete
  elif [ -z "$previous" ]; then
    dropdb --if-exists "$db"
    "$rehab" -q --database-url "$(url "$db")" setup >/dev/null
    psql -q -X -v ON_ERROR_STOP=1 -d "$db" \
      -c "INSERT INTO projections.projection_versions (projection_name) VALUES ('adherence'), ('quality'), ('work_queue')"
  else
    dropdb --if-exists "$db"
    createdb -T "$previous" "$db"
  fi
  grow_to "$db" "$n"
  echo "database $db: $n events, ready in $(( ($(now) - t0) / 1000000000 )) s" >&2
  "$rehab" --database-url "$(url "$db")" doctor >"$work/report-$n.txt" || { cat "$work/report-$n.txt"; exit 1; }
  previous=$db
done

declare -A median best
if command -v hyperfine >/dev/null; then
  commands=(); for n in "${sizes[@]}"; do commands+=("$rehab --database-url $(url "rehab_bench_doctor_$n") doctor"); done
  hyperfine -N --warmup 3 --runs "$runs" --export-csv "$work/all.csv" "${commands[@]}" >&2
  i=2
  for n in "${sizes[@]}"; do
    median[$n]=$(awk -F, -v row="$i" 'NR == row { printf "%.0f", $4 * 1000 }' "$work/all.csv")
    best[$n]=$(awk -F, -v row="$i" 'NR == row { printf "%.0f", $7 * 1000 }' "$work/all.csv")
    i=$((i + 1))
  done
else
  declare -A times
  for _ in $(seq 1 "$runs"); do
    for n in "${sizes[@]}"; do
      t0=$(now); "$rehab" --database-url "$(url "rehab_bench_doctor_$n")" doctor >/dev/null; t1=$(now)
      times[$n]+="$(( (t1 - t0) / 1000000 )) "
    done
  done
  for n in "${sizes[@]}"; do
    median[$n]=$(tr ' ' '\n' <<<"${times[$n]}" | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    best[$n]=$(tr ' ' '\n' <<<"${times[$n]}" | grep . | sort -n | head -n 1)
  done
fi
echo "rehab doctor, $runs runs each:"
for n in "${sizes[@]}"; do
  printf '  %10d events: median %5d ms, best %5d ms   (%s)\n' "$n" "${median[$n]}" "${best[$n]}" "$(tail -n 1 "$work/report-$n.txt")"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }'; }
echo "  ratio ${sizes[1]} / ${sizes[0]} rows: median $(ratio "${median[${sizes[1]}]}" "${median[${sizes[0]}]}"), best $(ratio "${best[${sizes[1]}]}" "${best[${sizes[0]}]}")"
