import GRDB

/// The history database's schema, one versioned migration at a time.
///
/// Tables (one row each):
/// - `run`: one audit run and its summary counts;
/// - `node`: one node of a run (cluster, host, product, role, status, detail, version);
/// - `node_list`: one CORS list of a node (its state, and whether its origins were read);
/// - `list_origin`: one entry of a list, with its 1-based index as the node numbered it;
/// - `finding`: one finding of a run;
/// - `baseline`: one approval of a run as the reference for `drift --baseline` (the newest wins);
/// - `blob` (v2): one JSON document, stored once however many runs name it: what a verdict rested on (the expected
///   origins, a node's services, a node's remediation plan) barely changes from night to night. Looked up by a 64-bit
///   digest without a unique index on the text, which would store every document twice.
///
/// Nothing secret is ever stored: the report these rows come from holds no credentials.
enum Schema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        // Never edit a registered migration: databases in the field have already applied it. Add a new one.
        migrator.registerMigration(v1) { db in
            try db.execute(sql: """
                CREATE TABLE run (
                    id               INTEGER PRIMARY KEY AUTOINCREMENT,
                    generated_at     TEXT    NOT NULL,   -- ISO 8601 UTC, as in the report (when the run started)
                    generated_epoch  REAL    NOT NULL,   -- the same instant in seconds since 1970, for ordering and --since
                    recorded_at      TEXT    NOT NULL,   -- ISO 8601 UTC, when the run was written here
                    inventory        TEXT    NOT NULL,
                    verdict          TEXT    NOT NULL CHECK (verdict IN ('clean', 'drift', 'incomplete')),
                    fail_on          TEXT    NOT NULL,
                    complete         BOOLEAN NOT NULL,
                    node_count       INTEGER NOT NULL,
                    audited_count    INTEGER NOT NULL,
                    skipped_count    INTEGER NOT NULL,
                    incomplete_count INTEGER NOT NULL,
                    error_count      INTEGER NOT NULL,
                    warning_count    INTEGER NOT NULL,
                    info_count       INTEGER NOT NULL
                );
                CREATE INDEX run_by_time ON run (generated_epoch, id);

                CREATE TABLE node (
                    id       INTEGER PRIMARY KEY,
                    run_id   INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,           -- inventory order within the run
                    cluster  TEXT    NOT NULL,
                    host     TEXT    NOT NULL,
                    product  TEXT    NOT NULL,
                    role     TEXT,
                    status   TEXT    NOT NULL,
                    detail   TEXT    NOT NULL,
                    version  TEXT,
                    UNIQUE (run_id, host)
                );

                CREATE TABLE node_list (
                    id       INTEGER PRIMARY KEY,
                    node_id  INTEGER NOT NULL REFERENCES node (id) ON DELETE CASCADE,
                    kind     TEXT    NOT NULL,
                    state    TEXT,                       -- NULL: not received or not understood
                    received BOOLEAN NOT NULL,           -- false: the origins were not read (null in the report)
                    UNIQUE (node_id, kind)
                );

                CREATE TABLE list_origin (
                    list_id  INTEGER NOT NULL REFERENCES node_list (id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,           -- 1-based, the index the node's CLI shows
                    origin   TEXT    NOT NULL,
                    PRIMARY KEY (list_id, position)
                );

                CREATE TABLE finding (
                    id       INTEGER PRIMARY KEY,
                    run_id   INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    kind     TEXT    NOT NULL,
                    severity TEXT    NOT NULL,
                    cluster  TEXT    NOT NULL,
                    host     TEXT,                       -- NULL for cluster-level findings
                    list     TEXT,
                    origin   TEXT,
                    message  TEXT    NOT NULL
                );
                CREATE INDEX finding_by_run ON finding (run_id, position);

                CREATE TABLE baseline (
                    id          INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id      INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
                    approved_at TEXT    NOT NULL
                );
                """)
        }
        // v2: what each run's verdict rested on, and whose run it is. Existing runs keep NULL in every new column:
        // their inventory is matched by the path they recorded, and what they did not store stays unknown.
        migrator.registerMigration(v2) { db in
            try db.execute(sql: """
                CREATE TABLE blob (
                    id     INTEGER PRIMARY KEY,
                    digest INTEGER NOT NULL,             -- FNV-1a 64 of body, the look-up key (bodies then compared in full)
                    body   TEXT    NOT NULL              -- canonical JSON (sorted keys): equal content is one row
                );
                CREATE INDEX blob_by_digest ON blob (digest);
                ALTER TABLE run ADD COLUMN inventory_key    TEXT;     -- the inventory's identity: its file's real path
                ALTER TABLE run ADD COLUMN inventory_digest TEXT;     -- its canonical content (clusters, nodes, expected)
                ALTER TABLE run ADD COLUMN tag              TEXT CHECK (tag IN ('apply-before', 'apply-after'));
                ALTER TABLE run ADD COLUMN plan_run_id      INTEGER;  -- apply runs: the run the applied plans came from
                ALTER TABLE run ADD COLUMN expected_blob    INTEGER;  -- blob: cluster → list → expected origins
                ALTER TABLE run ADD COLUMN plans_blob       INTEGER;  -- blob: plans not one per node of the run (else NULL)
                ALTER TABLE node ADD COLUMN services_blob   INTEGER;  -- blob: the services the node listed
                ALTER TABLE node ADD COLUMN plan_blob       INTEGER;  -- blob: the node's remediation plan, as report v1 writes it
                CREATE INDEX run_by_inventory ON run (inventory_key, generated_epoch, id);
                """)
        }
        return migrator
    }()

    /// The first migration: a test builds a database as the versions before v2 left it.
    static let v1 = "v1: runs, nodes, lists, origins, findings, baselines"
    static let v2 = "v2: inventory identity, apply tags, expected origins, services and plans"
}
