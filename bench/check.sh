#!/usr/bin/env bash
# Times `rehab check --lint-only` on COUNT generated migration files of 20 statements each (a realistic mix:
# tables, indexes, added columns and constraints, a view, a plpgsql function and trigger, comments, DML), and,
# when `npm install squawk-cli` works, squawk on the same files in the same run. Best of RUNS each; both
# write their default (terminal) report to /dev/null. squawk is installed under $SQUAWK_DIR, never the repo.
# Usage: bench/check.sh [COUNT] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000}
runs=${2:-3}
squawk_dir=${SQUAWK_DIR:-/tmp/rehab-bench-squawk}
cargo build --release --quiet 2>/dev/null || cargo build --release
rehab=target/release/rehab
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/migrations"
for i in $(seq 1 "$count"); do
  p=$(( i > 1 ? i - 1 : 1 ))
  cat >"$work/migrations/V${i}__step_${i}.sql" <<SQL
-- rehab:allow missing-down-script generated for the benchmark
SET lock_timeout = '5s';
CREATE TABLE b${i}_a (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), data jsonb);
CREATE TABLE b${i}_b (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a_id bigint REFERENCES b${i}_a (id), qty integer CHECK (qty > 0), note text);
CREATE INDEX b${i}_b_a_idx ON b${i}_b (a_id);
CREATE INDEX b${i}_a_created_idx ON b${i}_a (created_at) WHERE data IS NOT NULL;
ALTER TABLE b${i}_a ADD COLUMN status text NOT NULL DEFAULT 'new';
ALTER TABLE b${i}_a ADD CONSTRAINT b${i}_a_status_check CHECK (status IN ('new', 'done'));
COMMENT ON TABLE b${i}_a IS 'generated table ${i}';
CREATE TYPE b${i}_mood AS ENUM ('ok', 'meh');
CREATE VIEW b${i}_v AS SELECT a.id, count(b.id) AS n FROM b${i}_a a LEFT JOIN b${i}_b b ON b.a_id = a.id GROUP BY a.id;
CREATE FUNCTION b${i}_touch() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    NEW.created_at := now();
    RETURN NEW;
END
\$\$;
CREATE TRIGGER b${i}_touch BEFORE UPDATE ON b${i}_a FOR EACH ROW EXECUTE FUNCTION b${i}_touch();
INSERT INTO b${i}_a (name) VALUES ('seed ${i}');
UPDATE b${i}_a SET status = 'done' WHERE name LIKE 'seed%';
ALTER TABLE b${p}_b ADD COLUMN extra_${i} text;
ALTER TABLE b${i}_b ALTER COLUMN note SET DEFAULT '';
CREATE INDEX b${p}_b_note_${i}_idx ON b${p}_b (note);
CREATE TABLE b${i}_c (id bigint PRIMARY KEY, payload json, at timestamp);
CREATE UNIQUE INDEX b${i}_c_at_key ON b${i}_c (at);
GRANT SELECT ON b${i}_v TO PUBLIC;
SQL
done

now() { date +%s%N; }
# Runs "$@" RUNS times (exit status ignored: both exit non-zero on findings) and prints the best time in ms.
best_of() {
  local best="" t0 t1 ms
  for _ in $(seq 1 "$runs"); do
    t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
    ms=$(( (t1 - t0) / 1000000 )); if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

findings=$("$rehab" --migrations "$work/migrations" check --lint-only --format json 2>/dev/null | grep -c '"rule"' || true)
rehab_ms=$(best_of "$rehab" --migrations "$work/migrations" check --lint-only)
echo "files:                 $count (20 statements each; best of $runs runs)"
echo "rehab check --lint-only: ${rehab_ms} ms ($findings findings)"

squawk="$squawk_dir/node_modules/.bin/squawk"
if [ ! -x "$squawk" ]; then
  mkdir -p "$squawk_dir"
  npm install --silent --prefix "$squawk_dir" squawk-cli >/dev/null 2>&1 || true
fi
if [ -x "$squawk" ]; then
  squawk_ms=$(best_of "$squawk" "$work"/migrations/*.sql)
  ratio=$(awk -v a="$squawk_ms" -v b="$rehab_ms" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 1) }')
  echo "$("$squawk" --version):          ${squawk_ms} ms"
  echo "squawk / rehab:        ${ratio}x"
else
  echo "squawk:                not installed (npm install squawk-cli failed); rehab's time only"
fi
