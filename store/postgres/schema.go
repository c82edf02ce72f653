package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the schema's versions, in order: migration i brings the
// schema from version i to i+1. Never change one that was released; add
// the next.
var migrations = []string{
	// 1: every part of the store.
	`CREATE TABLE flamock_resources (
		parent bytea NOT NULL, -- the key up to its last "/": one index serves Get and Children
		key    bytea NOT NULL,
		data   bytea NOT NULL,
		PRIMARY KEY (parent, key)
	);
	CREATE TABLE flamock_jti (
		key     bytea PRIMARY KEY, -- SHA-256 of client id, NUL, jti
		expires timestamptz NOT NULL
	);
	CREATE INDEX flamock_jti_expires ON flamock_jti (expires);
	CREATE TABLE flamock_watermarks (
		id             int PRIMARY KEY CHECK (id = 1),
		revoked_before bigint NOT NULL DEFAULT 0,
		expired_before bigint NOT NULL DEFAULT 0,
		expired_at     timestamptz
	);
	INSERT INTO flamock_watermarks (id) VALUES (1);
	CREATE TABLE flamock_token_changes (
		jti     text PRIMARY KEY,
		revoked boolean NOT NULL,
		expires timestamptz,
		forget  timestamptz NOT NULL
	);
	CREATE TABLE flamock_faults (
		id     bigserial PRIMARY KEY,
		target int NOT NULL,
		client text NOT NULL,
		fault  bytea NOT NULL, -- the fault as the admin API writes it (JSON)
		left_  int NOT NULL
	);
	CREATE INDEX flamock_faults_target ON flamock_faults (target, client, id);
	CREATE TABLE flamock_state (
		ns    text NOT NULL,
		key   text NOT NULL,
		value bytea NOT NULL,
		PRIMARY KEY (ns, key)
	);
	CREATE TABLE flamock_journal (
		seq    bigserial PRIMARY KEY,
		client text NOT NULL,
		event  bytea NOT NULL -- the event as JSON, without its seq
	);
	CREATE TABLE flamock_keys (
		name  text PRIMARY KEY,
		value bytea NOT NULL
	);`,
	// 2: a take of a fault may use several of its requests at once (the
	// concurrent takes of one replica, combined); taken_ says how many the
	// last one got. Used-up faults are deleted by the purge.
	`ALTER TABLE flamock_faults ADD COLUMN taken_ int NOT NULL DEFAULT 0;`,
	// 3: journal events (an API call's is about 2 KB with its bodies, just
	// over the size at which PostgreSQL compresses a row) are compressed
	// with lz4 rather than pglz, which cost PostgreSQL about 15 µs of CPU
	// per event more; a server without lz4 (older than 14, or built
	// without it) keeps them uncompressed up to a page instead.
	`DO $$
	BEGIN
		ALTER TABLE flamock_journal ALTER COLUMN event SET COMPRESSION lz4;
	EXCEPTION WHEN feature_not_supported OR syntax_error THEN
		ALTER TABLE flamock_journal SET (toast_tuple_target = 8160);
	END $$;`,
}

// migrationLock is the advisory lock key under which replicas migrate, one
// at a time (any constant; "flamock" in ASCII).
const migrationLock = 0x666c616d6f636b

// migrate brings the schema to the newest version, in one transaction per
// step, holding an advisory lock so replicas starting together do not race.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS flamock_schema (
		version    int PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	var v int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM flamock_schema`).Scan(&v); err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("the database's schema is version %d, newer than this flamock knows (%d): upgrade flamock", v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO flamock_schema (version) VALUES ($1)`, v+1)
			return err
		})
		if err != nil {
			return fmt.Errorf("schema migration to version %d: %w", v+1, err)
		}
	}
	return nil
}

// SchemaVersion is the newest schema version this package migrates to.
func SchemaVersion() int { return len(migrations) }
