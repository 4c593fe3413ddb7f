#!/usr/bin/env bash
# Times `rehab check --all` (the up/down/up proof) of COUNT generated migrations, each with its down script,
# against a plain `rehab migrate` of the same migrations into a fresh database, in the same run on the same
# server. The proof creates and drops its scratch database itself, so the migrate side is timed from
# creating its database (createdb) to the end, for the same work on both sides. Aim: proof under 3x.
# Each run times both sides back to back and prints its own ratio: this machine's disk makes DDL vary by 2x
# from one minute to the next, so the median of the runs' ratios is the figure, beside each side's best.
# Each side starts SETTLE seconds (default 65) after a CHECKPOINT and a sync: on an ext4 file system without a
# journal (this VM's), creating a file skips, one by one, every inode freed in the last minute (longer while its
# inode block is dirty), and a DROP DATABASE frees thousands. Without the pause each side paid for what the
# other had just dropped - `migrate` for the proof's scratch databases - which flattered the ratio; SETTLE=0
# times them that way.
# Usage: bench/check_proof.sh [COUNT] [RUNS]   (server: PGHOST/PGPORT/PGUSER, default 127.0.0.1:5432 postgres)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-200}
runs=${2:-1}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
cargo build --release --quiet
rehab=target/release/rehab
db=rehab_bench_check_proof
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$db" 2>/dev/null || true' EXIT
url="postgresql://$PGUSER@$PGHOST:$PGPORT/$db?sslmode=disable"

# Each migration: a table with an identity key, a default, a comment and an index; every tenth also an
# enum and a function. The down scripts undo exactly that.
mkdir "$work/migrations"
for i in $(seq 1 "$count"); do
  up="$work/migrations/V${i}__step_${i}.sql"
  down="$work/migrations/V${i}__step_${i}.down.sql"
  cat >"$up" <<SQL
CREATE TABLE bench_t${i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text NOT NULL DEFAULT '', created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX bench_t${i}_created_idx ON bench_t${i} (created_at);
COMMENT ON COLUMN bench_t${i}.note IS 'migration ${i}';
SQL
  echo "DROP TABLE bench_t${i};" >"$down"
  if [ $((i % 10)) -eq 0 ]; then
    cat >>"$up" <<SQL
CREATE TYPE bench_e${i} AS ENUM ('a', 'b', 'c');
CREATE FUNCTION bench_f${i}(x int) RETURNS int LANGUAGE sql IMMUTABLE AS \$\$ SELECT x + ${i} \$\$;
SQL
    printf 'DROP FUNCTION bench_f%s(int);\nDROP TYPE bench_e%s;\n' "$i" "$i" >>"$down"
  fi
done

settle=${SETTLE:-65}
now() { date +%s%N; }
# Lets the inodes freed by the drops before it age out of ext4's recently-deleted window (see above).
settle() { psql -X -q -d postgres -c CHECKPOINT; sync; sleep "$settle"; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
best_migrate=""; best_proof=""; ratios=()
for run in $(seq 1 "$runs"); do
  dropdb --if-exists "$db"; settle
  t0=$(now); createdb "$db"; "$rehab" -q --database-url "$url" --migrations "$work/migrations" migrate >/dev/null; t1=$(now)
  m=$(ms "$t0" "$t1"); { [ -z "$best_migrate" ] || [ "$m" -lt "$best_migrate" ]; } && best_migrate=$m

  # The proof's target: an empty database, so `--all` proves every migration.
  dropdb --if-exists "$db"; createdb "$db"; settle
  t0=$(now)
  "$rehab" -q --database-url "$url" --migrations "$work/migrations" --format json check --all >"$work/proof.json"
  t1=$(now)
  p=$(ms "$t0" "$t1"); { [ -z "$best_proof" ] || [ "$p" -lt "$best_proof" ]; } && best_proof=$p
  ratios+=("$(awk -v a="$p" -v b="$m" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }')")
  echo "run $run: migrate ${m} ms, proof ${p} ms, ${ratios[-1]}x"
done
ok=$(grep -c '"status": "ok"' "$work/proof.json" || true)
[ "$ok" = "$count" ] || { echo "the proof found $ok of $count migrations ok" >&2; exit 1; }
left=$(psql -X -tA -d postgres -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'rehab\\_check\\_%'")
ratio=$(awk -v a="$best_proof" -v b="$best_migrate" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 1) }')
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ r[NR] = $1 } END { print (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2 }')
echo "migrations:                         $count, each with its down script ($runs run(s), ${settle} s settle before each side)"
echo "createdb + rehab migrate, best:     ${best_migrate} ms"
echo "rehab check --all (proof), best:    ${best_proof} ms"
echo "ratio of the bests:                 ${ratio}x"
echo "median of the runs' ratios:         ${median}x"
echo "scratch databases left on server:   $left"
