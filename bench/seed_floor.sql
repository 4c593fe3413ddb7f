-- Writes the floor's replay script (bench/seed.sh): the same server work as `rehab seed` without rehab.
-- Run in the fresh floor database with -v tables=<comma-separated, in rehab's load order> -v dir=<export folder>
-- -v script=<output file>. It mirrors src/seed/load/: the append-only guards disabled around TRUNCATE (so
-- COPY FREEZE applies), foreign keys, secondary indexes, keys and the CHECKs that re-add to the same
-- definition text dropped, every table COPYd FROM its exported binary file, then checks (one ALTER per
-- table), keys, indexes and foreign keys restored in the same order, sequences set and ANALYZE.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on
\pset footer off
CREATE TEMP TABLE seeded AS
  SELECT ord::int, t::regclass AS rel, t AS name FROM unnest(string_to_array(:'tables', ',')) WITH ORDINALITY AS u(t, ord);
CREATE TEMP TABLE deferred (kind text, tbl text, name text, def text);
INSERT INTO deferred
  SELECT CASE k.contype WHEN 'f' THEN 'fk' WHEN 'c' THEN 'check' ELSE 'key' END,
         k.conrelid::regclass::text, quote_ident(k.conname), pg_get_constraintdef(k.oid)
    FROM pg_constraint k WHERE k.contype IN ('f', 'p', 'u', 'c') AND k.conrelid IN (SELECT rel FROM seeded);
INSERT INTO deferred
  SELECT 'index', NULL, format('%I.%I', n.nspname, c.relname), pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE i.indrelid IN (SELECT rel FROM seeded)
     AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid);
-- Only checks that come back byte-identical are deferred (rehab probes the same way).
DO $$
DECLARE r record; again text;
BEGIN
  FOR r IN SELECT * FROM deferred WHERE kind = 'check' LOOP
    EXECUTE format('CREATE TEMP TABLE rehab_floor_probe (LIKE %s)', r.tbl);
    EXECUTE format('ALTER TABLE rehab_floor_probe ADD CONSTRAINT %s %s', r.name, r.def);
    SELECT pg_get_constraintdef(k.oid) INTO again FROM pg_constraint k
     WHERE k.conrelid = 'rehab_floor_probe'::regclass AND quote_ident(k.conname) = r.name;
    DROP TABLE rehab_floor_probe;
    IF again IS DISTINCT FROM r.def THEN
      DELETE FROM deferred WHERE kind = 'check' AND tbl = r.tbl AND name = r.name;
    END IF;
  END LOOP;
END $$;
\o :script
SELECT format('ALTER TABLE %s DISABLE TRIGGER %s;', t, g) FROM (VALUES
  ('event_store.events', 'events_append_only'), ('audit.audit_log', 'audit_log_append_only'),
  ('auth.emergency_access_log', 'emergency_access_log_guard_delete')) v(t, g);
SELECT format('TRUNCATE %s RESTART IDENTITY;', string_agg(name, ', ' ORDER BY ord)) FROM seeded;
SELECT format('ALTER TABLE %s ENABLE TRIGGER %s;', t, g) FROM (VALUES
  ('event_store.events', 'events_append_only'), ('audit.audit_log', 'audit_log_append_only'),
  ('auth.emergency_access_log', 'emergency_access_log_guard_delete')) v(t, g);
SELECT format('ALTER TABLE %s DROP CONSTRAINT %s;', tbl, name) FROM deferred WHERE kind = 'fk' ORDER BY tbl, name;
SELECT format('DROP INDEX %s;', name) FROM deferred WHERE kind = 'index' ORDER BY name;
SELECT format('ALTER TABLE %s DROP CONSTRAINT %s;', tbl, name) FROM deferred WHERE kind = 'key' ORDER BY tbl, name;
SELECT format('ALTER TABLE %s DROP CONSTRAINT %s;', tbl, name) FROM deferred WHERE kind = 'check' ORDER BY tbl, name;
SELECT format('COPY %s FROM %L (FORMAT binary, FREEZE);', name, :'dir' || '/' || name || '.bin') FROM seeded ORDER BY ord;
SELECT 'SET LOCAL maintenance_work_mem = ''1GB'';';
SELECT format('ALTER TABLE %s %s;', tbl, string_agg(format('ADD CONSTRAINT %s %s', name, def), ', ' ORDER BY name))
  FROM deferred WHERE kind = 'check' GROUP BY tbl ORDER BY tbl;
SELECT format('ALTER TABLE %s ADD CONSTRAINT %s %s;', tbl, name, def) FROM deferred WHERE kind = 'key' ORDER BY tbl, name;
SELECT def || ';' FROM deferred WHERE kind = 'index' ORDER BY name;
SELECT format('ALTER TABLE %s ADD CONSTRAINT %s %s;', tbl, name, def) FROM deferred WHERE kind = 'fk' ORDER BY tbl, name;
SELECT format('SELECT setval(pg_get_serial_sequence(%L, %L), COALESCE((SELECT max(%s) FROM %s), 0) + 1, false);', t, c, c, t)
  FROM (VALUES ('event_store.events', 'global_position'), ('audit.audit_log', 'id')) v(t, c);
SELECT format('ANALYZE %s;', string_agg(name, ', ' ORDER BY ord)) FROM seeded;
\o
