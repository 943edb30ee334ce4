/// The payout store's schema history. Append new migrations; never edit an applied one.
///
/// Money is always an integer count of minor units (`INTEGER` in SQLite, `BIGINT` in PostgreSQL):
/// no column anywhere is REAL, DOUBLE or floating NUMERIC. SQLite tables are `STRICT` so a stray
/// floating value is refused instead of being stored with type affinity.
enum StoreSchema {
    static let migrations: [StoreMigration] = [
        initial, keptDeadLetters, intakeSources, resolutionAudit, retention, traceContext, engineStep,
    ]

    static var latestVersion: Int { migrations.map(\.version).max() ?? 0 }

    // MARK: - Version 1

    private static let initial = StoreMigration(
        version: 1,
        name: "payouts, events, outbox, wallets, holds",
        sqlite: [
            """
            CREATE TABLE payouts (
                reference_id TEXT NOT NULL PRIMARY KEY,
                fingerprint TEXT NOT NULL,
                amount_minor INTEGER NOT NULL,
                currency TEXT NOT NULL,
                status TEXT NOT NULL,
                is_final INTEGER NOT NULL CHECK (is_final IN (0, 1)),
                reason_code TEXT,
                state TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt_at INTEGER NOT NULL,
                lease_owner TEXT,
                lease_expires_at INTEGER,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            ) STRICT
            """,
            // Serves claimDue: unfinished payouts by due time. Partial, so finished payouts (the
            // vast majority over time) cost nothing to skip.
            "CREATE INDEX payouts_due ON payouts (next_attempt_at, reference_id) WHERE is_final = 0",
            "CREATE INDEX payouts_status ON payouts (status)",
            """
            CREATE TABLE payout_events (
                reference_id TEXT NOT NULL,
                sequence INTEGER NOT NULL CHECK (sequence >= 0),
                status TEXT NOT NULL,
                payload TEXT NOT NULL,
                occurred_at INTEGER NOT NULL,
                PRIMARY KEY (reference_id, sequence)
            ) STRICT, WITHOUT ROWID
            """,
            // Events are facts already (or about to be) published: they never change.
            """
            CREATE TRIGGER payout_events_immutable BEFORE UPDATE ON payout_events
            BEGIN SELECT RAISE(ABORT, 'payout_events are immutable'); END
            """,
            """
            CREATE TABLE outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                reference_id TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                enqueued_at INTEGER NOT NULL,
                claimed_by TEXT,
                claim_expires_at INTEGER,
                sent_at INTEGER,
                FOREIGN KEY (reference_id, sequence) REFERENCES payout_events (reference_id, sequence)
            ) STRICT
            """,
            // The relay scans unsent entries by id and, for each, asks for the oldest unsent entry
            // of its reference_id; both are served by partial indexes that shrink as entries are sent.
            "CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL",
            "CREATE INDEX outbox_unsent_by_reference ON outbox (reference_id, id) WHERE sent_at IS NULL",
            """
            CREATE TABLE wallets (
                wallet_id TEXT NOT NULL PRIMARY KEY,
                currency TEXT NOT NULL UNIQUE,
                balance_minor INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE holds (
                reference_id TEXT NOT NULL PRIMARY KEY REFERENCES payouts (reference_id),
                wallet_id TEXT NOT NULL REFERENCES wallets (wallet_id),
                amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
                state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'voided')),
                settled_minor INTEGER CHECK (settled_minor IS NULL OR settled_minor >= 0),
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            ) STRICT
            """,
            // Covering index for "sum of pending holds of a wallet", computed on every hold.
            "CREATE INDEX holds_pending ON holds (wallet_id, amount_minor) WHERE state = 'pending'",
        ],
        postgres: [
            """
            CREATE TABLE payouts (
                reference_id TEXT NOT NULL PRIMARY KEY,
                fingerprint TEXT NOT NULL,
                amount_minor BIGINT NOT NULL,
                currency TEXT NOT NULL,
                status TEXT NOT NULL,
                is_final BOOLEAN NOT NULL,
                reason_code TEXT,
                state TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                lease_owner TEXT,
                lease_expires_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX payouts_due ON payouts (next_attempt_at, reference_id) WHERE NOT is_final",
            "CREATE INDEX payouts_status ON payouts (status)",
            """
            CREATE TABLE payout_events (
                reference_id TEXT NOT NULL,
                sequence INTEGER NOT NULL CHECK (sequence >= 0),
                status TEXT NOT NULL,
                payload TEXT NOT NULL,
                occurred_at BIGINT NOT NULL,
                PRIMARY KEY (reference_id, sequence)
            )
            """,
            """
            CREATE FUNCTION payout_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'payout_events are immutable'; END
            $$
            """,
            """
            CREATE TRIGGER payout_events_immutable BEFORE UPDATE ON payout_events
            FOR EACH ROW EXECUTE FUNCTION payout_events_immutable()
            """,
            """
            CREATE TABLE outbox (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                reference_id TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                enqueued_at BIGINT NOT NULL,
                claimed_by TEXT,
                claim_expires_at BIGINT,
                sent_at BIGINT,
                FOREIGN KEY (reference_id, sequence) REFERENCES payout_events (reference_id, sequence)
            )
            """,
            "CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL",
            "CREATE INDEX outbox_unsent_by_reference ON outbox (reference_id, id) WHERE sent_at IS NULL",
            """
            CREATE TABLE wallets (
                wallet_id TEXT NOT NULL PRIMARY KEY,
                currency TEXT NOT NULL UNIQUE,
                balance_minor BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE holds (
                reference_id TEXT NOT NULL PRIMARY KEY REFERENCES payouts (reference_id),
                wallet_id TEXT NOT NULL REFERENCES wallets (wallet_id),
                amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
                state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'voided')),
                settled_minor BIGINT CHECK (settled_minor IS NULL OR settled_minor >= 0),
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX holds_pending ON holds (wallet_id) INCLUDE (amount_minor) WHERE state = 'pending'",
        ]
    )

    // MARK: - Version 2

    /// Dead letters the dead-letter topic refused for good, kept until they can be sent.
    private static let keptDeadLetters = StoreMigration(
        version: 2,
        name: "kept dead letters",
        sqlite: [
            """
            CREATE TABLE kept_dead_letters (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                source_topic TEXT NOT NULL,
                source_partition INTEGER NOT NULL,
                source_offset INTEGER NOT NULL,
                record_key TEXT,
                record_value TEXT,
                headers TEXT NOT NULL,
                reason TEXT NOT NULL,
                detail TEXT NOT NULL,
                error TEXT NOT NULL,
                worker TEXT NOT NULL,
                kept_at INTEGER NOT NULL,
                sent_at INTEGER,
                UNIQUE (source_topic, source_partition, source_offset)
            ) STRICT
            """,
            "CREATE INDEX kept_dead_letters_unsent ON kept_dead_letters (id) WHERE sent_at IS NULL",
        ],
        postgres: [
            """
            CREATE TABLE kept_dead_letters (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                source_topic TEXT NOT NULL,
                source_partition INTEGER NOT NULL,
                source_offset BIGINT NOT NULL,
                record_key TEXT,
                record_value TEXT,
                headers TEXT NOT NULL,
                reason TEXT NOT NULL,
                detail TEXT NOT NULL,
                error TEXT NOT NULL,
                worker TEXT NOT NULL,
                kept_at BIGINT NOT NULL,
                sent_at BIGINT,
                UNIQUE (source_topic, source_partition, source_offset)
            )
            """,
            "CREATE INDEX kept_dead_letters_unsent ON kept_dead_letters (id) WHERE sent_at IS NULL",
        ]
    )

    // MARK: - Version 3

    /// Where each command was read (see `IntakeSource`): a payout's first command on its row, each
    /// duplicate and rejection answered in `intake_sources`. A record read again at a recorded
    /// place is a redelivery and is answered by nothing.
    private static let intakeSources = StoreMigration(
        version: 3,
        name: "intake sources",
        sqlite: [
            "ALTER TABLE payouts ADD COLUMN source_topic TEXT",
            "ALTER TABLE payouts ADD COLUMN source_partition INTEGER",
            "ALTER TABLE payouts ADD COLUMN source_offset INTEGER",
            """
            CREATE TABLE intake_sources (
                source_topic TEXT NOT NULL,
                source_partition INTEGER NOT NULL,
                source_offset INTEGER NOT NULL,
                reference_id TEXT NOT NULL,
                recorded_at INTEGER NOT NULL,
                PRIMARY KEY (source_topic, source_partition, source_offset)
            ) STRICT, WITHOUT ROWID
            """,
        ],
        postgres: [
            "ALTER TABLE payouts ADD COLUMN source_topic TEXT",
            "ALTER TABLE payouts ADD COLUMN source_partition INTEGER",
            "ALTER TABLE payouts ADD COLUMN source_offset BIGINT",
            """
            CREATE TABLE intake_sources (
                source_topic TEXT NOT NULL,
                source_partition INTEGER NOT NULL,
                source_offset BIGINT NOT NULL,
                reference_id TEXT NOT NULL,
                recorded_at BIGINT NOT NULL,
                PRIMARY KEY (source_topic, source_partition, source_offset)
            )
            """,
        ]
    )

    // MARK: - Version 4

    /// The append-only log of resolutions of payouts under REQUIRES_REVIEW.
    private static let resolutionAudit = StoreMigration(
        version: 4,
        name: "resolution audit",
        sqlite: [
            """
            CREATE TABLE payout_audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                reference_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                actor TEXT NOT NULL,
                note TEXT NOT NULL,
                provider_answer TEXT NOT NULL,
                status_before TEXT NOT NULL,
                status_after TEXT NOT NULL,
                ledger TEXT NOT NULL,
                forced INTEGER NOT NULL,
                recorded_at INTEGER NOT NULL
            ) STRICT
            """,
            "CREATE INDEX payout_audit_reference ON payout_audit (reference_id, id)",
        ],
        postgres: [
            """
            CREATE TABLE payout_audit (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                reference_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                actor TEXT NOT NULL,
                note TEXT NOT NULL,
                provider_answer TEXT NOT NULL,
                status_before TEXT NOT NULL,
                status_after TEXT NOT NULL,
                ledger TEXT NOT NULL,
                forced BOOLEAN NOT NULL,
                recorded_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX payout_audit_reference ON payout_audit (reference_id, id)",
        ]
    )

    // MARK: - Version 5

    /// What retention needs: when a payout's recipient details were scrubbed, and indexes that let
    /// each pruning statement find its rows without scanning a table.
    private static let retention = StoreMigration(
        version: 5,
        name: "retention",
        sqlite: [
            "ALTER TABLE payouts ADD COLUMN pii_scrubbed_at INTEGER",
            "CREATE INDEX payouts_to_scrub ON payouts (updated_at) WHERE is_final = 1 AND pii_scrubbed_at IS NULL",
        ] + retentionIndexes,
        postgres: [
            "ALTER TABLE payouts ADD COLUMN pii_scrubbed_at BIGINT",
            "CREATE INDEX payouts_to_scrub ON payouts (updated_at) WHERE is_final AND pii_scrubbed_at IS NULL",
        ] + retentionIndexes
    )

    /// The same in both dialects.
    private static let retentionIndexes = [
        "CREATE INDEX payout_events_time ON payout_events (occurred_at)",
        "CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL",
        "CREATE INDEX outbox_by_event ON outbox (reference_id, sequence)",
        "CREATE INDEX intake_sources_time ON intake_sources (recorded_at)",
    ]

    // MARK: - Version 6

    /// The W3C `traceparent` each event carries (`ce_traceparent` on the wire): the payout's trace,
    /// so a subscriber's work joins it, and a replay carries it again. Null when no trace is known.
    private static let traceContext = StoreMigration(
        version: 6,
        name: "trace context",
        sqlite: ["ALTER TABLE payout_events ADD COLUMN trace_parent TEXT"],
        postgres: ["ALTER TABLE payout_events ADD COLUMN trace_parent TEXT"]
    )

    // MARK: - Version 7

    /// PostgreSQL: an engine step as one server-side call (``PostgresEngineStep``), in one round
    /// trip instead of one per statement. SQLite runs in the process and needs none.
    private static let engineStep = StoreMigration(
        version: 7,
        name: "engine step",
        sqlite: [],
        postgres: [PostgresEngineStep.function]
    )
}
