import type { Database } from 'better-sqlite3';
import { GENESIS_HASH } from './hash-chain.js';

/**
 * The `log_meta` table: small facts about the log itself. The retention anchor is the seq and
 * hash of the last row deleted by retention: the first remaining row chains to it, so the
 * chain still verifies after a prefix is gone, and seq continues after it (never reused).
 */

export interface ChainAnchor {
  readonly seq: number;
  readonly hash: string;
}

export const GENESIS_ANCHOR: ChainAnchor = { seq: 0, hash: GENESIS_HASH };

function metaValue(db: Database, name: string): string | null {
  const row = db.prepare('SELECT value FROM log_meta WHERE name = ?').get(name) as
    { value: string } | undefined;
  return row?.value ?? null;
}

export function setMeta(db: Database, name: string, value: string): void {
  db.prepare(
    'INSERT INTO log_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
  ).run(name, value);
}

export function readAnchor(db: Database): ChainAnchor {
  const seq = metaValue(db, 'retention_seq');
  const hash = metaValue(db, 'retention_hash');
  if (seq === null || hash === null) return GENESIS_ANCHOR;
  return { seq: Number(seq), hash };
}

export function writeAnchor(db: Database, anchor: ChainAnchor): void {
  setMeta(db, 'retention_seq', String(anchor.seq));
  setMeta(db, 'retention_hash', anchor.hash);
}

/** Node public keys seen in rows retention deleted, so older checkpoints still verify. */
export function readRetiredKeys(db: Database): string[] {
  const value = metaValue(db, 'retired_node_pks');
  return value === null ? [] : (JSON.parse(value) as string[]);
}

export function writeRetiredKeys(db: Database, pks: string[]): void {
  setMeta(db, 'retired_node_pks', JSON.stringify(pks));
}
