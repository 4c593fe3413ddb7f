//! The one catalog query behind a snapshot: every kind of object as rows of (kind, name, attributes as
//! JSON), so a snapshot costs one round trip however many kinds it covers. Definitions come from the
//! server's own deparsers (`pg_get_indexdef`, `pg_get_functiondef`, ...), never OIDs, so an object dropped
//! and created again the same way reads the same. Objects that belong to an extension are left out (the
//! extension and its version stand for them), and so is rehab's own history table.

/// Run with `search_path = pg_catalog`, so every deparsed name is schema-qualified the same way on any
/// database, whatever search path its role or database sets.
pub const SNAPSHOT_SQL: &str = r"
WITH ns AS (
  SELECT n.oid, n.nspname, n.nspowner, n.nspacl FROM pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
), ext AS NOT MATERIALIZED (
  SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
), rel AS (
  SELECT c.oid, c.relkind, quote_ident(ns.nspname) || '.' || quote_ident(c.relname) AS qname
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relname <> 'refinery_schema_history'
    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_class'::regclass AND ext.objid = c.oid)
    AND @@r(c.oid)
), objects(kind, name, def, unit) AS (
  SELECT 'schema', quote_ident(ns.nspname), jsonb_build_object('comment', (SELECT description FROM pg_description WHERE objoid = ns.oid AND classoid = 'pg_namespace'::regclass AND objsubid = 0),
      'privileges', @@acl(ns.nspacl|n|ns.nspowner)),
    'n' || ns.oid
  FROM ns
  WHERE @@n(ns.oid) AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_namespace'::regclass AND ext.objid = ns.oid)
UNION ALL
  SELECT CASE rel.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
           WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' ELSE 'foreign table' END,
    rel.qname,
    jsonb_build_object(
      'definition', CASE WHEN rel.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
      'unlogged', CASE WHEN c.relpersistence = 'u' THEN 'true' END,
      'partition key', CASE WHEN rel.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
      'partition of', CASE WHEN c.relispartition THEN
        (SELECT quote_ident(pn.nspname) || '.' || quote_ident(p.relname) || ' ' || pg_get_expr(c.relpartbound, c.oid)
         FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
         WHERE i.inhrelid = c.oid) END,
      'inherits', CASE WHEN NOT c.relispartition THEN
        (SELECT string_agg(quote_ident(pn.nspname) || '.' || quote_ident(p.relname), ', ' ORDER BY i.inhseqno)
         FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
         WHERE i.inhrelid = c.oid) END,
      'options', array_to_string(c.reloptions, ', '),
      'row security', CASE WHEN c.relforcerowsecurity THEN 'forced' WHEN c.relrowsecurity THEN 'enabled' END,
      'replica identity', CASE WHEN rel.relkind IN ('r', 'p') THEN
        CASE c.relreplident WHEN 'f' THEN 'full' WHEN 'n' THEN 'nothing' WHEN 'i' THEN 'index' END END,
      'sequence', CASE WHEN s.seqrelid IS NOT NULL THEN format('%s start %s increment %s min %s max %s cache %s%s',
        format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
        CASE WHEN s.seqcycle THEN ' cycle' END) END,
      'owned by', own.col,
      'privileges', CASE WHEN rel.relkind = 'S' THEN @@acl(c.relacl|s|c.relowner) ELSE @@acl(c.relacl|r|c.relowner) END,
      'comment', (SELECT description FROM pg_description WHERE objoid = c.oid AND classoid = 'pg_class'::regclass AND objsubid = 0)),
    'r' || rel.oid
  -- Joined, not looked up per row: a correlated lookup scans pg_sequence once per relation.
  FROM rel JOIN pg_class c ON c.oid = rel.oid LEFT JOIN pg_sequence s ON s.seqrelid = c.oid
  LEFT JOIN (
    SELECT dep.objid, quote_ident(on_.nspname) || '.' || quote_ident(oc.relname) || '.' || quote_ident(a.attname) AS col
    FROM pg_depend dep JOIN pg_class sc ON sc.oid = dep.objid AND sc.relkind = 'S'
    JOIN pg_class oc ON oc.oid = dep.refobjid JOIN pg_namespace on_ ON on_.oid = oc.relnamespace
    JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
    WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass
      AND dep.refobjsubid > 0 AND dep.deptype IN ('a', 'i')
  ) own ON own.objid = c.oid
UNION ALL
  SELECT 'column', rel.qname || '.' || quote_ident(a.attname),
    jsonb_build_object(
      'type', format_type(a.atttypid, a.atttypmod),
      'not null', CASE WHEN a.attnotnull THEN 'true' END,
      'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
      'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
      'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
      -- Counted among the live columns: a column dropped and added again is last, whatever its number.
      'position', (row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum))::text,
      'privileges', @@acl(a.attacl|c|ac.relowner),
      'statistics target', CASE WHEN a.attstattarget >= 0 THEN a.attstattarget::text END,
      'collation', CASE WHEN a.attcollation <> t.typcollation THEN
        (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
         WHERE co.oid = a.attcollation) END,
      'comment', (SELECT description FROM pg_description WHERE objoid = a.attrelid AND classoid = 'pg_class'::regclass AND objsubid = a.attnum)),
    'r' || rel.oid
  FROM rel JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_class ac ON ac.oid = rel.oid
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  WHERE rel.relkind IN ('r', 'p', 'f')
UNION ALL
  SELECT 'constraint', rel.qname || '.' || quote_ident(con.conname),
    jsonb_build_object('definition', pg_get_constraintdef(con.oid), 'comment', (SELECT description FROM pg_description WHERE objoid = con.oid AND classoid = 'pg_constraint'::regclass AND objsubid = 0)),
    'r' || rel.oid
  FROM pg_constraint con JOIN rel ON rel.oid = con.conrelid
  -- A foreign key to a partitioned table has one row per referenced partition, all of the same name on
  -- the same table: the parent row stands for them.
  WHERE NOT (con.conparentid <> 0
             AND con.conrelid = (SELECT p.conrelid FROM pg_constraint p WHERE p.oid = con.conparentid))
UNION ALL
  SELECT 'constraint', quote_ident(ns.nspname) || '.' || quote_ident(t.typname) || '.' || quote_ident(con.conname),
    jsonb_build_object('definition', pg_get_constraintdef(con.oid), 'comment', (SELECT description FROM pg_description WHERE objoid = con.oid AND classoid = 'pg_constraint'::regclass AND objsubid = 0)),
    't' || t.oid
  FROM pg_constraint con JOIN pg_type t ON t.oid = con.contypid JOIN ns ON ns.oid = t.typnamespace
  WHERE @@t(t.oid) AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
UNION ALL
  SELECT 'index', quote_ident(ns.nspname) || '.' || quote_ident(ic.relname),
    jsonb_build_object(
      'definition', pg_get_indexdef(i.indexrelid),
      'table', rel.qname,
      'invalid', CASE WHEN NOT i.indisvalid THEN 'true' END,
      'clustered', CASE WHEN i.indisclustered THEN 'true' END,
      'comment', (SELECT description FROM pg_description WHERE objoid = ic.oid AND classoid = 'pg_class'::regclass AND objsubid = 0)),
    'r' || rel.oid
  FROM pg_index i JOIN rel ON rel.oid = i.indrelid
  JOIN pg_class ic ON ic.oid = i.indexrelid JOIN ns ON ns.oid = ic.relnamespace
UNION ALL
  SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range' ELSE 'type' END,
    quote_ident(ns.nspname) || '.' || quote_ident(t.typname),
    jsonb_build_object(
      'values', CASE WHEN t.typtype = 'e' THEN
        (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e
         WHERE e.enumtypid = t.oid) END,
      'type', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
      'not null', CASE WHEN t.typnotnull THEN 'true' END,
      'default', t.typdefault,
      'attributes', CASE WHEN t.typtype = 'c' THEN
        (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
         FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END,
      'subtype', CASE WHEN t.typtype = 'r' THEN
        (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid) END,
      'privileges', @@acl(t.typacl|T|t.typowner),
      'comment', (SELECT description FROM pg_description WHERE objoid = t.oid AND classoid = 'pg_type'::regclass AND objsubid = 0)),
    't' || t.oid
  FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
  LEFT JOIN pg_class tc ON tc.oid = t.typrelid
  WHERE @@t(t.oid) AND (t.typrelid = 0 OR tc.relkind = 'c') AND t.typtype <> 'm'
    -- Not an array type (its element's array): looked up by the element, since typarray has no index.
    AND NOT EXISTS (SELECT 1 FROM pg_type arr WHERE arr.oid = t.typelem AND arr.typarray = t.oid)
    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_type'::regclass AND ext.objid = t.oid)
UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
    quote_ident(ns.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')',
    jsonb_build_object(
      'definition', CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) END,
      'aggregate', (SELECT format('sfunc %s stype %s finalfunc %s initcond %s', g.aggtransfn::regproc,
                      format_type(g.aggtranstype, NULL), g.aggfinalfn::regproc, g.agginitval)
                    FROM pg_aggregate g WHERE g.aggfnoid = p.oid),
      'privileges', @@acl(p.proacl|f|p.proowner),
      'comment', (SELECT description FROM pg_description WHERE objoid = p.oid AND classoid = 'pg_proc'::regclass AND objsubid = 0)),
    'p' || p.oid
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
  WHERE @@p(p.oid) AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid)
UNION ALL
  SELECT 'trigger', rel.qname || '.' || quote_ident(tg.tgname),
    jsonb_build_object(
      'definition', pg_get_triggerdef(tg.oid),
      'enabled', CASE tg.tgenabled WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica' WHEN 'A' THEN 'always' END,
      'comment', (SELECT description FROM pg_description WHERE objoid = tg.oid AND classoid = 'pg_trigger'::regclass AND objsubid = 0)),
    'r' || rel.oid
  FROM pg_trigger tg JOIN rel ON rel.oid = tg.tgrelid
  WHERE NOT tg.tgisinternal
UNION ALL
  SELECT 'policy', rel.qname || '.' || quote_ident(pol.polname),
    jsonb_build_object(
      'command', pol.polcmd::text,
      'restrictive', CASE WHEN NOT pol.polpermissive THEN 'true' END,
      -- Sorted by name (an aggregate's ORDER BY 1 would sort by the constant 1, that is, not at all).
      'roles', (SELECT string_agg(n, ', ' ORDER BY n) FROM (SELECT CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END AS n
                FROM unnest(pol.polroles) r) AS roles),
      'using', pg_get_expr(pol.polqual, pol.polrelid),
      'with check', pg_get_expr(pol.polwithcheck, pol.polrelid)),
    'r' || rel.oid
  FROM pg_policy pol JOIN rel ON rel.oid = pol.polrelid
UNION ALL
  SELECT 'rule', rel.qname || '.' || quote_ident(ru.rulename), jsonb_build_object('definition', pg_get_ruledef(ru.oid)), 'r' || rel.oid
  FROM pg_rewrite ru JOIN rel ON rel.oid = ru.ev_class
  WHERE ru.rulename <> '_RETURN'
UNION ALL
  SELECT 'statistics', quote_ident(ns.nspname) || '.' || quote_ident(st.stxname),
    jsonb_build_object('definition', pg_get_statisticsobjdef(st.oid), 'comment', (SELECT description FROM pg_description WHERE objoid = st.oid AND classoid = 'pg_statistic_ext'::regclass AND objsubid = 0)),
    'r' || st.stxrelid
  FROM pg_statistic_ext st JOIN ns ON ns.oid = st.stxnamespace
  WHERE @@r(st.stxrelid)
UNION ALL
  -- Every column but the OIDs and the owner, as text: the catalog's columns differ between majors.
  SELECT 'collation', quote_ident(ns.nspname) || '.' || quote_ident(co.collname),
    (SELECT jsonb_object_agg(key, value #>> '{}') FROM jsonb_each(to_jsonb(co) - 'oid' - 'collnamespace' - 'collowner')),
    'o' || co.oid
  FROM pg_collation co JOIN ns ON ns.oid = co.collnamespace
  WHERE @@o(co.oid) AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_collation'::regclass AND ext.objid = co.oid)
UNION ALL
  SELECT 'event trigger', et.evtname,
    jsonb_build_object('event', et.evtevent, 'function', et.evtfoid::regprocedure::text, 'enabled', et.evtenabled::text,
      'tags', array_to_string(et.evttags, ', ')),
    'e' || et.oid
  FROM pg_event_trigger et
  WHERE @@e(et.oid) AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_event_trigger'::regclass AND ext.objid = et.oid)
    -- One calling a temporary function goes with its session: no schema holds it (the proof's DDL log).
    AND NOT EXISTS (SELECT 1 FROM pg_proc tf JOIN pg_namespace tn ON tn.oid = tf.pronamespace
                    WHERE tf.oid = et.evtfoid AND tn.nspname LIKE 'pg\_temp\_%')
UNION ALL
  SELECT 'publication', pb.pubname,
    (SELECT jsonb_object_agg(key, value #>> '{}') FROM jsonb_each(to_jsonb(pb) - 'oid' - 'pubowner'))
      || jsonb_build_object('tables', (SELECT string_agg(t, ', ' ORDER BY t) FROM (
                                         SELECT quote_ident(pt.schemaname) || '.' || quote_ident(pt.tablename) AS t FROM pg_publication_tables pt
                                         WHERE pt.pubname = pb.pubname AND pt.tablename <> 'refinery_schema_history') AS tables)),
    'b' || pb.oid
  FROM pg_publication pb
  WHERE @@b(pb.oid)
UNION ALL
  SELECT 'cast', format_type(ca.castsource, NULL) || ' AS ' || format_type(ca.casttarget, NULL),
    jsonb_build_object('function', CASE WHEN ca.castfunc <> 0 THEN ca.castfunc::regprocedure::text END,
      'context', ca.castcontext::text, 'method', ca.castmethod::text),
    'c' || ca.oid
  FROM pg_cast ca
  WHERE ca.oid >= 16384 AND @@c(ca.oid)
    AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_cast'::regclass AND ext.objid = ca.oid)
UNION ALL
  SELECT 'operator', quote_ident(ns.nspname) || '.' || o.oprname || '(' || coalesce(format_type(NULLIF(o.oprleft, 0), NULL), 'none')
      || ', ' || coalesce(format_type(NULLIF(o.oprright, 0), NULL), 'none') || ')',
    jsonb_build_object('function', o.oprcode::regprocedure::text,
      'commutator', CASE WHEN o.oprcom <> 0 THEN o.oprcom::regoperator::text END,
      'negator', CASE WHEN o.oprnegate <> 0 THEN o.oprnegate::regoperator::text END,
      'restrict', NULLIF(o.oprrest::text, '-'), 'join', NULLIF(o.oprjoin::text, '-'),
      'comment', (SELECT description FROM pg_description WHERE objoid = o.oid AND classoid = 'pg_operator'::regclass AND objsubid = 0)),
    'q' || o.oid
  FROM pg_operator o JOIN ns ON ns.oid = o.oprnamespace
  WHERE @@q(o.oid) AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_operator'::regclass AND ext.objid = o.oid)
UNION ALL
  SELECT 'text search configuration', quote_ident(ns.nspname) || '.' || quote_ident(cfg.cfgname),
    jsonb_build_object('parser', (SELECT quote_ident(pn.nspname) || '.' || quote_ident(pr.prsname) FROM pg_ts_parser pr JOIN pg_namespace pn ON pn.oid = pr.prsnamespace WHERE pr.oid = cfg.cfgparser),
      'mappings', (SELECT string_agg(m.maptokentype || ':' || m.mapseqno || ' ' || m.mapdict::regdictionary::text, ', ' ORDER BY m.maptokentype, m.mapseqno)
                   FROM pg_ts_config_map m WHERE m.mapcfg = cfg.oid),
      'comment', (SELECT description FROM pg_description WHERE objoid = cfg.oid AND classoid = 'pg_ts_config'::regclass AND objsubid = 0)),
    's' || cfg.oid
  FROM pg_ts_config cfg JOIN ns ON ns.oid = cfg.cfgnamespace
  WHERE @@s(cfg.oid) AND NOT EXISTS (SELECT 1 FROM ext WHERE ext.classid = 'pg_ts_config'::regclass AND ext.objid = cfg.oid)
UNION ALL
  SELECT 'extension', e.extname, jsonb_build_object('version', e.extversion, 'schema', n.nspname), 'x' || e.oid
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
  WHERE @@x(e.oid)
)
SELECT kind, name, jsonb_strip_nulls(def)::text, unit FROM objects
";

/// The unit kinds a snapshot's objects belong to, in the order of the partial query's parameters: every
/// object is read again with the rest of its unit. `r` a relation with its columns, constraints, indexes,
/// triggers, policies, rules and statistics; `t` a type with its domain constraints; `p` a function; `n` a
/// schema; `o` a collation; `e` an event trigger; `b` a publication; `x` an extension; `c` a cast; `q` an
/// operator; `s` a text search configuration.
pub const UNIT_KINDS: [char; 11] = ['r', 't', 'p', 'n', 'o', 'e', 'b', 'x', 'c', 'q', 's'];

/// The snapshot query: of every object (`partial` false), or of the units whose OIDs the `oid[]`
/// parameters list, one array per kind of [`UNIT_KINDS`].
pub fn snapshot_sql(partial: bool) -> String {
    with_units(&with_privileges(SNAPSHOT_SQL), partial)
}

/// The partial snapshot query of the units of `kinds` only (its other branches left out, so a step that read
/// a table again does not start the executor for the functions, operators and casts too), with the same
/// parameters as [`snapshot_sql`]'s: those of the kinds left out are not referenced.
pub fn partial_sql(kinds: &[char]) -> String {
    let (start, end) = objects_span();
    let branches: Vec<&str> =
        SNAPSHOT_SQL[start..end].split(BRANCH).filter(|b| unit_kind(b).is_some_and(|k| kinds.contains(&k))).collect();
    let sql = format!("{}{}{}", &SNAPSHOT_SQL[..start], branches.join(BRANCH), &SNAPSHOT_SQL[end..]);
    with_units(&with_privileges(&sql), true)
}

/// The partial snapshot statement of each set of unit kinds read so far, prepared on first use.
#[derive(Default)]
pub struct Partials(std::collections::HashMap<u16, postgres::Statement>);

impl Partials {
    /// The statement reading the units of the kinds that `oids` (one list per kind of [`UNIT_KINDS`]) has.
    pub fn get(
        &mut self,
        tx: &mut postgres::Client,
        oids: &[Vec<u32>],
    ) -> Result<&postgres::Statement, postgres::Error> {
        let mask = oids.iter().enumerate().filter(|(_, o)| !o.is_empty()).fold(0_u16, |m, (i, _)| m | 1 << i);
        match self.0.entry(mask) {
            std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(e) => {
                let kinds: Vec<char> =
                    (0..UNIT_KINDS.len()).filter(|i| mask & 1 << i != 0).map(|i| UNIT_KINDS[i]).collect();
                let types = vec![postgres::types::Type::OID_ARRAY; UNIT_KINDS.len()];
                Ok(e.insert(tx.prepare_typed(&partial_sql(&kinds), &types)?))
            }
        }
    }
}

const BRANCH: &str = "\nUNION ALL\n";

/// Where the branches of the `objects` CTE begin and end in [`SNAPSHOT_SQL`].
fn objects_span() -> (usize, usize) {
    const OPEN: &str = "objects(kind, name, def, unit) AS (\n";
    let start = SNAPSHOT_SQL.find(OPEN).expect("the snapshot query has its objects") + OPEN.len();
    (start, SNAPSHOT_SQL.rfind("\n)\nSELECT kind, name").expect("the snapshot query ends with its objects"))
}

/// The unit kind a branch's rows belong to: the letter of its last `'k' || ...` (the unit column).
fn unit_kind(branch: &str) -> Option<char> {
    branch
        .match_indices("' || ")
        .filter_map(|(i, _)| {
            let b = branch.as_bytes();
            (i >= 2 && b[i - 2] == b'\'').then(|| char::from(b[i - 1])).filter(|k| UNIT_KINDS.contains(k))
        })
        .last()
}

/// Writes out each unit filter `@@k(column)`: the column among the OIDs of parameter `$n` (kind `k`'s place in
/// [`UNIT_KINDS`]) for a partial query, TRUE for a full one.
fn with_units(sql: &str, partial: bool) -> String {
    let mut sql = sql.to_string();
    for (i, kind) in UNIT_KINDS.iter().enumerate() {
        let token = format!("@@{kind}(");
        while let Some(start) = sql.find(&token) {
            let end = start + sql[start..].find(')').expect("a unit filter closes its parenthesis");
            let column = &sql[start + token.len()..end];
            let filter = if partial { format!("{column} = ANY(${}::oid[])", i + 1) } else { "TRUE".to_string() };
            sql.replace_range(start..=end, &filter);
        }
    }
    sql
}

/// Writes out each `@@acl(ACL|KIND|OWNER)`: how the privileges an ACL grants differ from the object type's
/// default (`acldefault`), sorted: `grantee privilege` for each one granted beyond it, `without grantee
/// privilege` for each default one revoked; the owner is named `owner` (the scratch database's objects belong
/// to whoever runs the check, the target's to whoever migrated it), PUBLIC `public`; the grantor is left
/// out. NULL when the object has its default privileges.
fn with_privileges(sql: &str) -> String {
    let mut out = sql.to_string();
    while let Some(start) = out.find("@@acl(") {
        let end = start + out[start..].find(')').expect("an ACL token closes its parenthesis");
        let args: Vec<&str> = out[start + 6..end].split('|').collect();
        let [acl, kind, owner] = args[..] else { panic!("an ACL token has three arguments") };
        let now = format!(
            "SELECT grantee, privilege_type, is_grantable FROM aclexplode(coalesce({acl}, acldefault('{kind}', {owner})))"
        );
        let default =
            format!("SELECT grantee, privilege_type, is_grantable FROM aclexplode(acldefault('{kind}', {owner}))");
        let who = format!(
            "CASE WHEN x.grantee = {owner} THEN 'owner' WHEN x.grantee = 0 THEN 'public' ELSE pg_get_userbyid(x.grantee) END"
        );
        let expr = format!(
            "(SELECT string_agg(g, ', ' ORDER BY g) FROM (
          SELECT {who} || ' ' || x.privilege_type || CASE WHEN x.is_grantable THEN ' with grant option' ELSE '' END
          FROM ({now} EXCEPT {default}) AS x
          UNION ALL SELECT 'without ' || {who} || ' ' || x.privilege_type FROM ({default} EXCEPT {now}) AS x) AS grants(g))"
        );
        out.replace_range(start..=end, &expr);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{BRANCH, SNAPSHOT_SQL, UNIT_KINDS, objects_span, partial_sql, snapshot_sql, unit_kind};

    #[test]
    fn every_branch_belongs_to_a_unit_kind_and_all_kinds_make_the_partial_query() {
        let (start, end) = objects_span();
        let kinds: Vec<Option<char>> = SNAPSHOT_SQL[start..end].split(BRANCH).map(unit_kind).collect();
        assert!(kinds.len() > UNIT_KINDS.len(), "{kinds:?}");
        assert!(kinds.iter().all(Option::is_some), "{kinds:?}");
        for kind in UNIT_KINDS {
            assert!(kinds.contains(&Some(kind)), "no branch of kind {kind}");
        }
        assert_eq!(partial_sql(&UNIT_KINDS), snapshot_sql(true));
        let tables = partial_sql(&['r']);
        assert!(tables.contains("'column'") && tables.contains("'index'") && !tables.contains("'operator'"));
    }
}
