-- The event log (SPEC §5). A released migration is never edited: change the schema with a new
-- numbered file. These tables are a public interface that users query with SQL.

CREATE TABLE events (
  seq    INTEGER PRIMARY KEY,   -- gap-free, increasing, never reused
  at     INTEGER NOT NULL,      -- unix time, milliseconds
  type   TEXT    NOT NULL,      -- an event type (SPEC §5)
  peer   TEXT,                  -- hex node ID the event is about, if any
  key    TEXT,                  -- hex pointer key or lookup target, if any
  lookup INTEGER,               -- the lookup's id, if the event belongs to a lookup
  data   TEXT    NOT NULL,      -- JSON object, snake_case fields, binary as lowercase hex
  hash   TEXT    NOT NULL       -- hex hash chain (docs/event-log.md)
);

-- Partial indexes: most events have no key or lookup, so leaving NULLs out keeps those indexes
-- small and cheap to maintain. `WHERE peer = ?` still uses them (SQLite infers NOT NULL).
CREATE INDEX events_by_type ON events (type);
CREATE INDEX events_by_peer ON events (peer) WHERE peer IS NOT NULL;
CREATE INDEX events_by_key ON events (key) WHERE key IS NOT NULL;
CREATE INDEX events_by_lookup ON events (lookup) WHERE lookup IS NOT NULL;

-- Snapshots of the projections; each one is a checkpoint: (seq, hash) signed by the node key.
CREATE TABLE snapshots (
  seq       INTEGER PRIMARY KEY,  -- the last event folded into `state`
  hash      TEXT    NOT NULL,     -- that event's hash
  at        INTEGER NOT NULL,     -- unix time, milliseconds
  version   INTEGER NOT NULL,     -- format version of `state`
  state     TEXT    NOT NULL,     -- JSON of the projections
  signature TEXT    NOT NULL      -- hex Ed25519 over checkpointBytes(seq, hash)
);

-- Small facts about the log itself, e.g. the retention anchor (the seq and hash of the last
-- row deleted by retention) so the chain still verifies after a prefix is gone.
CREATE TABLE log_meta (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
