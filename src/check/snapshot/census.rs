//! What changed in the catalogs since a mark, for the incremental snapshot: every catalog row written by a
//! transaction at or after the mark (its `xmin`), mapped to the unit of the snapshot it belongs to, with the
//! units whose objects reference a changed one (`pg_depend`: a renamed column changes the text of a foreign
//! key on another table), and a count of each catalog whose deletions matter, since a deleted row leaves no
//! `xmin` behind. The tracker compares the counts with the rows it knows and lists a catalog again when a
//! row went missing.

use super::ddl_log;

/// A catalog whose rows the tracker counts and knows by `key`: `(cls, obj)` is the object a row of `table`
/// belongs to (mapped to a unit by [`UNIT_OF`]); `filter` leaves out the rows of the system's own objects.
pub struct Counted {
    pub name: &'static str,
    key: &'static str,
    cls: &'static str,
    obj: &'static str,
    table: &'static str,
    filter: &'static str,
}

impl Counted {
    /// Its rows as `(catalog, key, cls, obj)`.
    fn rows(&self) -> String {
        let Self { name, key, cls, obj, table, filter } = self;
        format!("SELECT '{name}'::text, {key}, {cls}, {obj} FROM {table} WHERE {filter}")
    }

    /// `(catalog, rows now, keys, classes, objects)` of the rows written at or after the mark (the CTE
    /// `mark` of the query), in one pass over the catalog; a row's key is built only if it was written.
    fn census(&self) -> String {
        let Self { name, key, cls, obj, table, filter } = self;
        format!(
            "SELECT '{name}'::text, count(*), array_agg({key}) FILTER (WHERE new), array_agg({cls}) FILTER (WHERE new),
    array_agg({obj}) FILTER (WHERE new)
  FROM (SELECT *, ctid, age(xmin) <= (SELECT age FROM mark) AS new FROM {table} WHERE {filter}) AS {table}"
        )
    }
}

/// Catalogs whose rows can be deleted while the object they describe stays (a dropped index, constraint,
/// trigger or comment leaves its table's rows as they were), and the roots whose deletion removes a unit.
/// Rows deleted only with their object (columns, index rows, enum ranges) are not counted: the object's
/// root row goes with them.
pub const COUNTED: &[Counted] = &[
    Counted {
        name: "pg_class",
        key: "oid::text",
        cls: "'pg_class'::regclass::oid",
        obj: "oid",
        table: "pg_class",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_type",
        key: "oid::text",
        cls: "'pg_type'::regclass::oid",
        obj: "oid",
        table: "pg_type",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_proc",
        key: "oid::text",
        cls: "'pg_proc'::regclass::oid",
        obj: "oid",
        table: "pg_proc",
        filter: "oid >= 16384",
    },
    // Every schema and extension, `public` and `plpgsql` included, whose OIDs are below the first user OID.
    Counted {
        name: "pg_namespace",
        key: "oid::text",
        cls: "'pg_namespace'::regclass::oid",
        obj: "oid",
        table: "pg_namespace",
        filter: "TRUE",
    },
    Counted {
        name: "pg_extension",
        key: "oid::text",
        cls: "'pg_extension'::regclass::oid",
        obj: "oid",
        table: "pg_extension",
        filter: "TRUE",
    },
    Counted {
        name: "pg_collation",
        key: "oid::text",
        cls: "'pg_collation'::regclass::oid",
        obj: "oid",
        table: "pg_collation",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_event_trigger",
        key: "oid::text",
        cls: "'pg_event_trigger'::regclass::oid",
        obj: "oid",
        table: "pg_event_trigger",
        filter: "TRUE",
    },
    Counted {
        name: "pg_publication",
        key: "oid::text",
        cls: "'pg_publication'::regclass::oid",
        obj: "oid",
        table: "pg_publication",
        filter: "TRUE",
    },
    Counted {
        name: "pg_publication_rel",
        key: "oid::text",
        cls: "'pg_publication'::regclass::oid",
        obj: "prpubid",
        table: "pg_publication_rel",
        filter: "TRUE",
    },
    Counted {
        name: "pg_publication_namespace",
        key: "oid::text",
        cls: "'pg_publication'::regclass::oid",
        obj: "pnpubid",
        table: "pg_publication_namespace",
        filter: "TRUE",
    },
    Counted {
        name: "pg_constraint",
        key: "oid::text",
        cls: "'pg_constraint'::regclass::oid",
        obj: "oid",
        table: "pg_constraint",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_attrdef",
        key: "oid::text",
        cls: "'pg_class'::regclass::oid",
        obj: "adrelid",
        table: "pg_attrdef",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_trigger",
        key: "oid::text",
        cls: "'pg_class'::regclass::oid",
        obj: "tgrelid",
        table: "pg_trigger",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_policy",
        key: "oid::text",
        cls: "'pg_class'::regclass::oid",
        obj: "polrelid",
        table: "pg_policy",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_rewrite",
        key: "oid::text",
        cls: "'pg_class'::regclass::oid",
        obj: "ev_class",
        table: "pg_rewrite",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_statistic_ext",
        key: "oid::text",
        cls: "'pg_class'::regclass::oid",
        obj: "stxrelid",
        table: "pg_statistic_ext",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_enum",
        key: "oid::text",
        cls: "'pg_type'::regclass::oid",
        obj: "enumtypid",
        table: "pg_enum",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_inherits",
        key: "inhrelid || '.' || inhseqno",
        cls: "'pg_class'::regclass::oid",
        obj: "inhrelid",
        table: "pg_inherits",
        filter: "inhrelid >= 16384",
    },
    Counted {
        name: "pg_cast",
        key: "oid::text",
        cls: "'pg_cast'::regclass::oid",
        obj: "oid",
        table: "pg_cast",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_operator",
        key: "oid::text",
        cls: "'pg_operator'::regclass::oid",
        obj: "oid",
        table: "pg_operator",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_ts_config",
        key: "oid::text",
        cls: "'pg_ts_config'::regclass::oid",
        obj: "oid",
        table: "pg_ts_config",
        filter: "oid >= 16384",
    },
    Counted {
        name: "pg_ts_config_map",
        key: "mapcfg || '.' || maptokentype || '.' || mapseqno",
        cls: "'pg_ts_config'::regclass::oid",
        obj: "mapcfg",
        table: "pg_ts_config_map",
        filter: "mapcfg >= 16384",
    },
    // Comments on user objects and on schemas (`public` is older than the first user OID).
    Counted {
        name: "pg_description",
        key: "classoid || '.' || objoid || '.' || objsubid",
        cls: "classoid",
        obj: "objoid",
        table: "pg_description",
        filter: "objoid >= 16384 OR classoid = 'pg_namespace'::regclass",
    },
    // The dependencies a snapshot reads: a sequence's owning column, and extension membership (whose
    // objects the snapshot leaves out).
    Counted {
        name: "pg_depend",
        // Its physical place: the catalog has no key, and two rows may hold the same values.
        key: "ctid::text",
        cls: "classid",
        obj: "objid",
        table: "pg_depend",
        filter: "objid >= 16384 AND (deptype = 'e' OR (classid = 'pg_class'::regclass AND refclassid = 'pg_class'::regclass AND refobjsubid > 0 AND deptype IN ('a', 'i')))",
    },
];

/// The unit kind whose root row a counted catalog holds (a `pg_class` row is the root of the `r` unit of the
/// same OID, a `pg_type` row of the `t` one, ...), or `None` for one holding only parts of units.
pub fn root_kind(catalog: &str) -> Option<char> {
    Some(match catalog {
        "pg_class" => 'r',
        "pg_type" => 't',
        "pg_proc" => 'p',
        "pg_namespace" => 'n',
        "pg_collation" => 'o',
        "pg_event_trigger" => 'e',
        "pg_publication" => 'b',
        "pg_extension" => 'x',
        "pg_cast" => 'c',
        "pg_operator" => 'q',
        "pg_ts_config" => 's',
        _ => return None,
    })
}

/// Rows changed, never deleted on their own: only what they belong to matters. Each is `(cls, obj)` of a
/// row of the table, then the table and the filter.
const WRITTEN: &[(&str, &str, &str)] = &[
    // Compared as a number, so the server scans the table instead of walking thousands of index entries.
    ("'pg_class'::regclass::oid, attrelid", "pg_attribute", "attrelid::int8 >= 16384"),
    ("'pg_class'::regclass::oid, indexrelid", "pg_index", "indexrelid >= 16384"),
    ("'pg_class'::regclass::oid, seqrelid", "pg_sequence", "seqrelid >= 16384"),
    ("'pg_type'::regclass::oid, rngtypid", "pg_range", "rngtypid >= 16384"),
    ("'pg_proc'::regclass::oid, aggfnoid", "pg_aggregate", "aggfnoid >= 16384"),
    // Not compared themselves, but named in what is (a text search configuration's parser and dictionaries,
    // an index's operator class, a function's language): their own changes only matter through pg_depend.
    // Built-in ones included, since a migration may rename those too.
    ("'pg_ts_dict'::regclass::oid, oid", "pg_ts_dict", "TRUE"),
    ("'pg_ts_parser'::regclass::oid, oid", "pg_ts_parser", "TRUE"),
    ("'pg_opclass'::regclass::oid, oid", "pg_opclass", "TRUE"),
    ("'pg_opfamily'::regclass::oid, oid", "pg_opfamily", "TRUE"),
    ("'pg_language'::regclass::oid, oid", "pg_language", "TRUE"),
];

/// The unit (`r16402`, `t16410`, ...) of the object `(cls, obj)`, or NULL for one no snapshot shows (a
/// TOAST table or its index) or one that no longer exists. An index belongs to its table, a table's row type and
/// array to the table, an array type to its element, a comment or a dependency to what it is on.
const UNIT_OF: &str = "CASE cls
  WHEN 'pg_class'::regclass THEN (SELECT CASE WHEN c.relkind IN ('i', 'I') THEN (SELECT CASE WHEN t.relkind <> 't' THEN 'r' || i.indrelid END
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid WHERE i.indexrelid = c.oid)
      WHEN c.relkind = 'c' THEN 't' || c.reltype WHEN c.relkind = 't' THEN NULL ELSE 'r' || c.oid END
    FROM pg_class c WHERE c.oid = obj)
  WHEN 'pg_type'::regclass THEN (SELECT CASE WHEN e.typrelid <> 0 AND ec.relkind <> 'c' THEN 'r' || e.typrelid ELSE 't' || e.oid END
    FROM pg_type t JOIN pg_type e ON e.oid = CASE WHEN t.typelem <> 0 AND EXISTS (SELECT 1 FROM pg_type a WHERE a.oid = t.typelem AND a.typarray = t.oid) THEN t.typelem ELSE t.oid END
    LEFT JOIN pg_class ec ON ec.oid = e.typrelid WHERE t.oid = obj)
  WHEN 'pg_proc'::regclass THEN 'p' || obj
  WHEN 'pg_namespace'::regclass THEN 'n' || obj
  WHEN 'pg_collation'::regclass THEN 'o' || obj
  WHEN 'pg_event_trigger'::regclass THEN 'e' || obj
  WHEN 'pg_publication'::regclass THEN 'b' || obj
  WHEN 'pg_extension'::regclass THEN 'x' || obj
  WHEN 'pg_cast'::regclass THEN 'c' || obj
  WHEN 'pg_operator'::regclass THEN 'q' || obj
  WHEN 'pg_ts_config'::regclass THEN 's' || obj
  WHEN 'pg_attrdef'::regclass THEN (SELECT 'r' || adrelid FROM pg_attrdef WHERE oid = obj)
  WHEN 'pg_constraint'::regclass THEN (SELECT CASE WHEN conrelid <> 0 THEN 'r' || conrelid ELSE 't' || contypid END FROM pg_constraint WHERE oid = obj)
  WHEN 'pg_trigger'::regclass THEN (SELECT 'r' || tgrelid FROM pg_trigger WHERE oid = obj)
  WHEN 'pg_policy'::regclass THEN (SELECT 'r' || polrelid FROM pg_policy WHERE oid = obj)
  WHEN 'pg_rewrite'::regclass THEN (SELECT 'r' || ev_class FROM pg_rewrite WHERE oid = obj)
  WHEN 'pg_statistic_ext'::regclass THEN (SELECT 'r' || stxrelid FROM pg_statistic_ext WHERE oid = obj)
  WHEN 'pg_publication_rel'::regclass THEN (SELECT 'b' || prpubid FROM pg_publication_rel WHERE oid = obj)
  WHEN 'pg_publication_namespace'::regclass THEN (SELECT 'b' || pnpubid FROM pg_publication_namespace WHERE oid = obj)
END";

/// Every row of the counted catalogs as `(catalog, key, unit)`: what the tracker knows at its start.
pub fn listing_sql() -> String {
    let rows: Vec<String> = COUNTED.iter().map(Counted::rows).collect();
    format!("SELECT cat, key, {UNIT_OF} FROM ({}) AS rows(cat, key, cls, obj)", rows.join("\n  UNION ALL "))
}

/// The keys of the rows of the counted catalogs `$1` names, as `(catalog, key)`: how the tracker finds which
/// rows went missing (it knows their units). Each catalog not named is skipped before it is read.
pub fn keys_sql() -> String {
    let rows: Vec<String> = COUNTED
        .iter()
        .map(|c| {
            format!(
                "SELECT '{0}'::text, {1} FROM {2} WHERE '{0}' = ANY($1::text[]) AND ({3})",
                c.name, c.key, c.table, c.filter
            )
        })
        .collect();
    format!("SELECT cat, key FROM ({}) AS rows(cat, key)", rows.join("\n  UNION ALL "))
}

/// What changed at or after the mark (`$1`, a transaction ID as text), as `(tag, catalog, key, unit)` rows:
/// `row` for a written row of a counted catalog (its key) or of another one (no key), `dependent` for an
/// object that references a written one, `count` for how many rows a counted catalog has now (in `key`),
/// `mark` for [`MARK`] (in `key`: the next step's mark), `roles` for [`ROLES`] (in `key`), and `builtin` when a
/// built-in object was written (a renamed built-in text search parser, the `public` schema): built-in objects
/// are pinned, with no `pg_depend` rows that lead to what names them. With `log`, the large catalogs are
/// followed through the DDL log instead of being counted and scanned (see [`ddl_log`]).
pub fn changes_sql(log: bool) -> String {
    let census: Vec<String> =
        COUNTED.iter().filter(|c| !log || !ddl_log::LOGGED.contains(&c.name)).map(Counted::census).collect();
    let mut written: Vec<String> = WRITTEN
        .iter()
        .filter(|(_, table, _)| !log || !ddl_log::LOGGED_WRITTEN.contains(table))
        .map(|(select, table, filter)| {
            format!("SELECT NULL::text, NULL::text, {select} FROM {table} WHERE {filter} AND age(xmin) <= (SELECT age FROM mark)")
        })
        .collect();
    if log {
        written.push(ddl_log::written());
    }
    format!(
        "WITH{recursive} mark AS MATERIALIZED (SELECT age($1::text::xid) AS age),
census(cat, n, keys, clss, objs) AS MATERIALIZED (
  {census}
), {log_ctes} written(cat, key, cls, obj) AS MATERIALIZED (
  SELECT c.cat, u.key, u.cls, u.obj FROM census c, unnest(c.keys, c.clss, c.objs) AS u(key, cls, obj)
  UNION ALL {written}
), touched(tag, cat, key, cls, obj) AS (
  SELECT 'row', cat, key, cls, obj FROM written
  UNION ALL
  SELECT DISTINCT 'dependent', {dependent_key}, d.classid, d.objid
  FROM (SELECT DISTINCT cls, obj FROM written) w JOIN pg_depend d ON d.refclassid = w.cls AND d.refobjid = w.obj
  UNION ALL
  -- An operator names its commutator and negator, with no pg_depend row for either.
  -- (Skipped at once unless an operator was written: the join alone would walk every operator each step.)
  SELECT DISTINCT 'dependent', NULL, NULL, 'pg_operator'::regclass::oid, o.oid
  FROM written w JOIN pg_operator o ON w.cls = 'pg_operator'::regclass AND w.obj IN (o.oprcom, o.oprnegate)
  WHERE EXISTS (SELECT 1 FROM written x WHERE x.cls = 'pg_operator'::regclass)
  UNION ALL
  -- A publication's tables may come from no row of its own (FOR ALL TABLES, TABLES IN SCHEMA, a partitioned
  -- table's new partition): every publication is read again when a relation was written.
  SELECT 'dependent', NULL, NULL, 'pg_publication'::regclass::oid, p.oid
  FROM pg_publication p WHERE EXISTS (SELECT 1 FROM written w WHERE w.cls = 'pg_class'::regclass)
)
SELECT tag, cat, key, {UNIT_OF} FROM touched
UNION ALL SELECT 'count', cat, n::text, NULL FROM census
UNION ALL SELECT 'mark', NULL, ({MARK})::text, NULL
UNION ALL SELECT 'roles', NULL, ({ROLES}), NULL
UNION ALL SELECT 'builtin', NULL, NULL, NULL WHERE EXISTS (SELECT 1 FROM written WHERE obj < 16384){outputs}",
        census = census.join("\n  UNION ALL "),
        written = written.join("\n  UNION ALL "),
        recursive = if log { " RECURSIVE" } else { "" },
        dependent_key = if log { ddl_log::dependent_key() } else { "NULL, NULL".to_string() },
        log_ctes = if log { ddl_log::LOG_CTES } else { "" },
        outputs = if log { ddl_log::outputs() } else { String::new() },
    )
}

/// The next step's mark: the first transaction this query's snapshot does not see, or the oldest one still writing
/// in this database if older (its ID rebuilt with the epoch from its age); other databases' sessions do not hold it
/// back. (Another role's session here may be invisible without `pg_read_all_stats`; only rehab connects here.)
pub const MARK: &str = "SELECT LEAST(txid_snapshot_xmax(txid_current_snapshot()),
  (SELECT min(txid_snapshot_xmax(txid_current_snapshot()) - age(a.backend_xid)) FROM pg_stat_activity a
   WHERE a.datname = current_database() AND a.backend_xid IS NOT NULL))";

/// The server's roles, as one text that changes when one is created, dropped or renamed: role names appear in
/// privileges and policies, and roles are shared by every database (no `pg_depend`, no row here to follow).
pub const ROLES: &str = "SELECT md5(string_agg(oid::text || ':' || rolname, ',' ORDER BY oid)) FROM pg_roles";
