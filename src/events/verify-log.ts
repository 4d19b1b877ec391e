import type Database from 'better-sqlite3';
import { join } from 'node:path';
import { fromHex } from '../core/bytes.js';
import { readCheckpointFile, verifyCheckpoint, type Checkpoint } from './checkpoint.js';
import { DamagedRowReader, openDamaged } from './damaged-rows.js';
import { chainHash } from './hash-chain.js';
import { readAnchor, readRetiredKeys, type ChainAnchor } from './log-meta.js';

/**
 * `tesd verify` (SPEC §5): the hash chain from the retention anchor (or genesis) to the tail,
 * gap-free seq, every checkpoint (snapshot rows, snapshot_written events and the
 * events.checkpoint file) signed by the node key and matching its row, and PRAGMA quick_check.
 */

export interface VerifyReport {
  ok: boolean;
  checkedRows: number;
  /** The first seq that cannot be trusted; repair keeps the rows before it. */
  firstBadSeq: number | null;
  problems: string[];
  /** Snapshot rows that are not valid checkpoints (repair drops them). */
  badSnapshotSeqs: number[];
}

export interface VerifyOptions {
  /** The node public key (hex or bytes); node_started events add theirs. */
  pk?: string | Uint8Array;
  /** Where events.checkpoint lives (the data directory). */
  dataDir?: string;
}

interface LabeledCheckpoint extends Checkpoint {
  readonly label: string;
  /** A snapshot row's seq, to drop it if invalid. */
  readonly snapshotSeq?: number;
  /** The seq of the snapshot_written event carrying it. */
  readonly eventSeq?: number;
}

const PAGE_ROWS = 2_000;
const MAX_PROBLEMS = 50; // a broken log can have a problem per row: the first ones say enough

class Findings {
  readonly problems: string[] = [];
  firstBadSeq: number | null = null;
  readonly badSnapshotSeqs: number[] = [];
  checkedRows = 0;

  add(problem: string, badSeq: number | null): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
    else if (this.problems.length === MAX_PROBLEMS) this.problems.push('(more problems omitted)');
    if (badSeq !== null && (this.firstBadSeq === null || badSeq < this.firstBadSeq))
      this.firstBadSeq = badSeq;
  }

  report(): VerifyReport {
    return {
      ok: this.problems.length === 0,
      checkedRows: this.checkedRows,
      firstBadSeq: this.firstBadSeq,
      problems: this.problems,
      badSnapshotSeqs: this.badSnapshotSeqs,
    };
  }
}

/**
 * The rows of one type. On a damaged file the query fails as a whole if one row is on a bad
 * page: then the rows are read one by one by seq and the unreadable ones skipped (the chain
 * walk reports them).
 */
function rowsOfType(
  db: Database.Database,
  type: string,
  findings: Findings,
): Array<{ seq: number; data: string }> {
  try {
    return db
      .prepare('SELECT seq, data FROM events WHERE type = ? ORDER BY seq')
      .all(type) as Array<{ seq: number; data: string }>;
  } catch {
    // fall through to one row at a time
  }
  let seqs: number[];
  try {
    seqs = db
      .prepare('SELECT seq FROM events WHERE type = ? ORDER BY seq')
      .pluck()
      .all(type) as number[];
  } catch (error) {
    findings.add(`cannot read the ${type} events: ${(error as Error).message}`, null);
    return [];
  }
  const one = db.prepare('SELECT seq, data FROM events WHERE seq = ?');
  const rows: Array<{ seq: number; data: string }> = [];
  for (const seq of seqs) {
    try {
      const row = one.get(seq) as { seq: number; data: string } | undefined;
      if (row !== undefined) rows.push(row);
    } catch {
      // unreadable: the walk names it
    }
  }
  return rows;
}

function nodeKeys(
  db: Database.Database,
  pk: VerifyOptions['pk'],
  findings: Findings,
): Uint8Array[] {
  const hexKeys = new Set(readRetiredKeys(db));
  const rows = rowsOfType(db, 'node_started', findings);
  for (const row of rows) {
    const value = (JSON.parse(row.data) as { pk?: unknown }).pk;
    if (typeof value === 'string') hexKeys.add(value);
  }
  const keys: Uint8Array[] = [];
  if (pk !== undefined) keys.push(typeof pk === 'string' ? (fromHex(pk) ?? new Uint8Array()) : pk);
  for (const hex of hexKeys) keys.push(fromHex(hex) ?? new Uint8Array());
  return keys;
}

function snapshotCheckpoints(db: Database.Database, latestOnly: boolean): LabeledCheckpoint[] {
  const rows = db
    .prepare(
      `SELECT seq, hash, signature FROM snapshots ORDER BY seq DESC ${latestOnly ? 'LIMIT 1' : ''}`,
    )
    .all() as Checkpoint[];
  return rows.map((r) => ({ ...r, label: `snapshot at seq ${r.seq}`, snapshotSeq: r.seq }));
}

function eventCheckpoints(db: Database.Database, findings: Findings): LabeledCheckpoint[] {
  const rows = rowsOfType(db, 'snapshot_written', findings);
  return rows.map((row) => {
    const data = JSON.parse(row.data) as Partial<Checkpoint>;
    return {
      seq: data.seq ?? -1,
      hash: data.hash ?? '',
      signature: data.signature ?? '',
      label: `checkpoint in snapshot_written event ${row.seq}`,
      eventSeq: row.seq,
    };
  });
}

function fileCheckpoint(dataDir: string | undefined): LabeledCheckpoint[] {
  const checkpoint = dataDir === undefined ? null : readCheckpointFile(dataDir);
  return checkpoint === null ? [] : [{ ...checkpoint, label: 'events.checkpoint' }];
}

function tail(db: Database.Database, anchor: ChainAnchor, findings: Findings): ChainAnchor {
  try {
    const last = db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').get() as
      ChainAnchor | undefined;
    return last ?? anchor;
  } catch (error) {
    // The end is unknown: every checkpoint is compared in the walk, which stops where
    // reading does.
    findings.add(`cannot read the last event: ${(error as Error).message}`, null);
    return { seq: Number.MAX_SAFE_INTEGER, hash: '' };
  }
}

/** Signature and position of each checkpoint; returns the ones whose row must be compared. */
function checkCheckpoints(
  checkpoints: LabeledCheckpoint[],
  keys: Uint8Array[],
  anchor: ChainAnchor,
  last: ChainAnchor,
  findings: Findings,
): Map<number, LabeledCheckpoint[]> {
  const bySeq = new Map<number, LabeledCheckpoint[]>();
  for (const cp of checkpoints) {
    const badSnapshot = (): void => {
      if (cp.snapshotSeq !== undefined) findings.badSnapshotSeqs.push(cp.snapshotSeq);
    };
    if (keys.length > 0 && !keys.some((pk) => verifyCheckpoint(pk, cp))) {
      findings.add(`${cp.label}: signature does not verify with the node key`, cp.eventSeq ?? null);
      badSnapshot();
      continue;
    }
    if (cp.seq > last.seq) {
      findings.add(
        `${cp.label} is past the end of the log (seq ${last.seq}): committed events were lost ` +
          '(deleted WAL or truncated file)',
        last.seq + 1,
      );
      badSnapshot();
    } else if (cp.seq === anchor.seq && cp.hash !== anchor.hash) {
      findings.add(`${cp.label} does not match the retention anchor`, anchor.seq + 1);
      badSnapshot();
    } else if (cp.seq > anchor.seq) {
      bySeq.set(cp.seq, [...(bySeq.get(cp.seq) ?? []), cp]);
    }
  }
  return bySeq;
}

/**
 * Walks rows after `from`, recomputing each hash; compares rows that checkpoints point at.
 * After a bad row it chains on from the stored hash, so one edited row is one problem.
 */
function walkChain(
  db: Database.Database,
  from: ChainAnchor,
  checkpoints: Map<number, LabeledCheckpoint[]>,
  findings: Findings,
): void {
  const reader = new DamagedRowReader(db, PAGE_ROWS);
  let previous: ChainAnchor = from;
  let lastGoodCheckpointSeq = from.seq;
  for (const row of reader.rows(from.seq)) {
    findings.checkedRows++;
    if (row.seq !== previous.seq + 1)
      findings.add(`seq gap: ${row.seq} follows ${previous.seq}`, previous.seq + 1);
    if (chainHash(previous.hash, row) !== row.hash)
      findings.add(`event ${row.seq}: hash does not match its content and chain`, row.seq);
    for (const cp of checkpoints.get(row.seq) ?? []) {
      if (cp.hash === row.hash) lastGoodCheckpointSeq = row.seq;
      else
        findings.add(
          `event ${row.seq} does not match the ${cp.label}: the log before it was rewritten`,
          lastGoodCheckpointSeq + 1,
        );
    }
    previous = row;
  }
  const unreadable = reader.unreadable;
  if (unreadable !== null)
    findings.add(`cannot read event ${unreadable.seq}: ${unreadable.reason}`, unreadable.seq);
}

function quickCheck(db: Database.Database, findings: Findings): void {
  try {
    const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
    for (const row of rows)
      if (row.quick_check !== 'ok') findings.add(`quick_check: ${row.quick_check}`, null);
  } catch (error) {
    findings.add(`quick_check failed: ${(error as Error).message}`, null);
  }
}

function withDatabase<T>(target: Database.Database | string, use: (db: Database.Database) => T): T {
  if (typeof target !== 'string') return use(target);
  const db = openDamaged(join(target, 'events.db'));
  try {
    return use(db);
  } finally {
    db.close();
  }
}

/** The whole log: every row, every checkpoint, quick_check. Never writes. */
export function verifyLog(
  target: Database.Database | string,
  options: VerifyOptions = {},
): VerifyReport {
  const findings = new Findings();
  const dataDir = options.dataDir ?? (typeof target === 'string' ? target : undefined);
  try {
    withDatabase(target, (db) => {
      quickCheck(db, findings);
      const anchor = readAnchor(db);
      const keys = nodeKeys(db, options.pk, findings);
      const checkpoints = [
        ...snapshotCheckpoints(db, false),
        ...eventCheckpoints(db, findings),
        ...fileCheckpoint(dataDir),
      ];
      if (checkpoints.length > 0 && keys.length === 0)
        findings.add(
          'no node key known (no node_started event, none given): signatures unchecked',
          null,
        );
      const bySeq = checkCheckpoints(
        checkpoints,
        keys,
        anchor,
        tail(db, anchor, findings),
        findings,
      );
      walkChain(db, anchor, bySeq, findings);
    });
  } catch (error) {
    findings.add(`cannot read the log: ${(error as Error).message}`, 1);
  }
  return findings.report();
}

/**
 * The fast check at open: the latest checkpoints (snapshot row and events.checkpoint) must
 * match their rows, then the chain from there to the tail. Signatures are checked when a key
 * is known.
 */
export function verifyTail(db: Database.Database, options: VerifyOptions = {}): VerifyReport {
  const findings = new Findings();
  const anchor = readAnchor(db);
  const last = tail(db, anchor, findings);
  const checkpoints = [...snapshotCheckpoints(db, true), ...fileCheckpoint(options.dataDir)];
  const keys = nodeKeys(db, options.pk, findings);
  const bySeq = checkCheckpoints(checkpoints, keys, anchor, last, findings);
  let from = anchor;
  const lookup = db.prepare('SELECT hash FROM events WHERE seq = ?');
  for (const [seq, cps] of [...bySeq].sort((a, b) => a[0] - b[0])) {
    const row = lookup.get(seq) as { hash: string } | undefined;
    const matching = cps.filter((cp) => cp.hash === row?.hash);
    for (const cp of cps)
      if (!matching.includes(cp))
        findings.add(`event ${seq} does not match the ${cp.label}`, from.seq + 1);
    if (matching.length === cps.length && row !== undefined) from = { seq, hash: row.hash };
  }
  walkChain(db, from, new Map(), findings);
  return findings.report();
}
