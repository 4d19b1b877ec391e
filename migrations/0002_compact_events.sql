-- Compact rows (issue 12): the same public `events`, now a view over `event_rows`, which stores
-- the event type as a small code, peer and key as numbers into a dictionary of the strings,
-- the hash as 32 bytes and `data` with its most frequent fragments (key names, the row's own
-- peer or key, the default port) replaced by one control character each. JSON.stringify never
-- writes a raw control character, so the decoding is exact: the view returns byte for byte the
-- text that was hashed, and the hash chain (v1) is unchanged. docs/event-log.md explains it.
-- Rows are written and edited through the view (INSTEAD OF triggers), so every writer and
-- reader keeps using `events` with its columns of migration 0001.

ALTER TABLE events RENAME TO events_v1;

-- Event type names and their codes; a type not listed yet gets the next code when first used.
CREATE TABLE event_types (
  code INTEGER PRIMARY KEY,
  name TEXT    NOT NULL UNIQUE
);
INSERT INTO event_types (code, name) VALUES
  (1, 'node_started'),
  (2, 'node_stopped'),
  (3, 'peer_added'),
  (4, 'peer_seen'),
  (5, 'peer_cached'),
  (6, 'peer_failed'),
  (7, 'peer_evicted'),
  (8, 'peer_rejected'),
  (9, 'rpc_sent'),
  (10, 'rpc_received'),
  (11, 'rpc_completed'),
  (12, 'pointer_published'),
  (13, 'pointer_stored'),
  (14, 'pointer_replaced'),
  (15, 'pointer_refused'),
  (16, 'pointer_expired'),
  (17, 'pointer_evicted'),
  (18, 'lookup_started'),
  (19, 'lookup_step'),
  (20, 'lookup_finished'),
  (21, 'bootstrap_finished'),
  (22, 'snapshot_written'),
  (23, 'journal_paused'),
  (24, 'journal_resumed'),
  (25, 'network_size_estimated'),
  (26, 'advertised_address_changed'),
  (27, 'reachability_changed');

-- The peer IDs and keys the rows name, each stored once; a string no row names any more is
-- deleted with the last row naming it (trigger event_rows_release).
CREATE TABLE event_ids (
  n  INTEGER PRIMARY KEY,
  id TEXT    NOT NULL UNIQUE
);

CREATE TABLE event_rows (
  seq    INTEGER PRIMARY KEY,   -- gap-free, increasing, never reused
  at     INTEGER NOT NULL,      -- unix time, milliseconds
  type   INTEGER NOT NULL,      -- event_types.code
  peer   INTEGER,               -- event_ids.n of the hex node ID the event is about, if any
  key    INTEGER,               -- event_ids.n of the hex pointer key or lookup target, if any
  lookup INTEGER,               -- the lookup's id, if the event belongs to a lookup
  data   NOT NULL,              -- BLOB: the JSON text, encoded as below; TEXT: the JSON verbatim
  hash   NOT NULL               -- BLOB: the 32 bytes of the hash; TEXT: anything else, verbatim
);

-- The public table of migration 0001, column for column, with the text that was hashed.
-- Filters on type, peer and key go through event_types and event_ids to event_rows' indexes.
CREATE VIEW events (seq, at, type, peer, key, lookup, data, hash) AS
SELECT
  e.seq,
  e.at,
  t.name,
  p.id,
  k.id,
  e.lookup,
  CASE WHEN typeof(e.data) = 'blob' THEN
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(CAST(e.data AS TEXT)
    , char(1), '"id":"' || coalesce(p.id, '') || '"')
    , char(2), '"peer":"' || coalesce(p.id, '') || '"')
    , char(3), '"key":"' || coalesce(k.id, '') || '"')
    , char(4), '"target":"' || coalesce(k.id, '') || '"')
    , char(5), '{"op":"find_node","rid":')
    , char(6), '{"op":"find_value","rid":')
    , char(7), '{"op":"ping","rid":')
    , char(8), '{"op":"store","rid":')
    , char(9), ',"outcome":"ok","latency_ms":')
    , char(10), ',"error_code":null}')
    , char(11), ',"addr":"')
    , char(12), ',"bytes":')
    , char(13), ',"hop":')
    , char(14), ',"returned":[')
    , char(15), ',"returned_addrs":[')
    , char(16), ',"pointers":')
    , char(18), ':4433"')
    , char(19), ',"outcome":"')
    , char(20), '","latency_ms":')
    , char(21), ',"error_code":')
    , char(22), '{"op":"')
    , char(23), '","rid":')
    , char(24), ',"publisher":"')
    , char(25), ',"tessera":"')
    , char(26), ',"seq":')
    , char(27), ',"expires":')
    , char(28), ',"holders":[{"id":"')
    , char(29), ',"fragments":[')
    , char(30), ',"sig":"')
    , char(31), ',"from":"')
    , char(17), '","')
  ELSE e.data END,
  CASE WHEN typeof(e.hash) = 'blob' THEN lower(hex(e.hash)) ELSE e.hash END
FROM event_rows e
LEFT JOIN event_types t ON t.code = e.type
LEFT JOIN event_ids p ON p.n = e.peer
LEFT JOIN event_ids k ON k.n = e.key;

-- Encoding: only when neither data nor the row's peer and key hold a control character (then
-- the replacements are exactly reversible); anything else is stored verbatim, so a row edited
-- by hand or damaged still reads back as it was written and verify judges it.
CREATE TRIGGER events_insert INSTEAD OF INSERT ON events
BEGIN
  INSERT OR IGNORE INTO event_types (name) VALUES (NEW.type);
  INSERT OR IGNORE INTO event_ids (id) SELECT NEW.peer WHERE NEW.peer IS NOT NULL;
  INSERT OR IGNORE INTO event_ids (id) SELECT NEW.key WHERE NEW.key IS NOT NULL;
  INSERT INTO event_rows (seq, at, type, peer, key, lookup, data, hash) VALUES (
    NEW.seq,
    NEW.at,
    (SELECT code FROM event_types WHERE name = NEW.type),
    (SELECT n FROM event_ids WHERE id = NEW.peer),
    (SELECT n FROM event_ids WHERE id = NEW.key),
    NEW.lookup,
    CASE WHEN typeof(NEW.data) <> 'text'
           OR (NEW.data || coalesce(NEW.peer, '') || coalesce(NEW.key, ''))
              GLOB '*[' || char(1) || '-' || char(31) || ']*'
      THEN NEW.data
      ELSE CAST(
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(NEW.data
        , '"id":"' || coalesce(NEW.peer, char(1)) || '"', char(1))
        , '"peer":"' || coalesce(NEW.peer, char(1)) || '"', char(2))
        , '"key":"' || coalesce(NEW.key, char(1)) || '"', char(3))
        , '"target":"' || coalesce(NEW.key, char(1)) || '"', char(4))
        , '{"op":"find_node","rid":', char(5))
        , '{"op":"find_value","rid":', char(6))
        , '{"op":"ping","rid":', char(7))
        , '{"op":"store","rid":', char(8))
        , ',"outcome":"ok","latency_ms":', char(9))
        , ',"error_code":null}', char(10))
        , ',"addr":"', char(11))
        , ',"bytes":', char(12))
        , ',"hop":', char(13))
        , ',"returned":[', char(14))
        , ',"returned_addrs":[', char(15))
        , ',"pointers":', char(16))
        , ':4433"', char(18))
        , ',"outcome":"', char(19))
        , '","latency_ms":', char(20))
        , ',"error_code":', char(21))
        , '{"op":"', char(22))
        , '","rid":', char(23))
        , ',"publisher":"', char(24))
        , ',"tessera":"', char(25))
        , ',"seq":', char(26))
        , ',"expires":', char(27))
        , ',"holders":[{"id":"', char(28))
        , ',"fragments":[', char(29))
        , ',"sig":"', char(30))
        , ',"from":"', char(31))
        , '","', char(17))
      AS BLOB)
    END,
    CASE WHEN lower(hex(unhex(NEW.hash))) IS NEW.hash THEN unhex(NEW.hash) ELSE NEW.hash END
  );
END;

CREATE TRIGGER events_delete INSTEAD OF DELETE ON events
BEGIN
  DELETE FROM event_rows WHERE seq = OLD.seq;
END;

CREATE TRIGGER events_update INSTEAD OF UPDATE ON events
BEGIN
  DELETE FROM event_rows WHERE seq = OLD.seq;
  INSERT INTO events (seq, at, type, peer, key, lookup, data, hash)
  VALUES (NEW.seq, NEW.at, NEW.type, NEW.peer, NEW.key, NEW.lookup, NEW.data, NEW.hash);
END;

CREATE TRIGGER event_rows_release AFTER DELETE ON event_rows
BEGIN
  DELETE FROM event_ids
  WHERE n IN (OLD.peer, OLD.key)
    AND NOT EXISTS (SELECT 1 FROM event_rows WHERE peer = event_ids.n)
    AND NOT EXISTS (SELECT 1 FROM event_rows WHERE key = event_ids.n);
END;

INSERT INTO events (seq, at, type, peer, key, lookup, data, hash)
SELECT seq, at, type, peer, key, lookup, data, hash FROM events_v1 ORDER BY seq;
DROP TABLE events_v1;

-- Built after the copy, which is faster than maintaining them row by row. Same names and
-- purposes as in 0001; the peer index now holds small integers instead of 64-byte hex text.
CREATE INDEX events_by_type ON event_rows (type);
CREATE INDEX events_by_peer ON event_rows (peer) WHERE peer IS NOT NULL;
CREATE INDEX events_by_key ON event_rows (key) WHERE key IS NOT NULL;
CREATE INDEX events_by_lookup ON event_rows (lookup) WHERE lookup IS NOT NULL;
