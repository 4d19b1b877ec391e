import type { EventRow } from './hash-chain.js';

/**
 * The compact form of a row's `data` and `hash` (migration 0002, docs/event-log.md). The most
 * frequent fragments of the JSON text are replaced by one control character each; the `events`
 * view expands them again with SQL replace(). JSON.stringify never writes a raw control
 * character, so any such replacement is exactly reversible: the view returns the very text
 * that was hashed. This table must stay equal to the one in migrations/0002 (the tests compare
 * the view's decoding with decodeData on random rows).
 */

/** A fragment: fixed text, or `prefix` + the row's own peer or key + `"`. */
type Fragment = string | { readonly column: 'peer' | 'key'; readonly prefix: string };

/** [control character code, fragment], in the order the encoder applies them. */
export const DATA_CODES: ReadonlyArray<readonly [number, Fragment]> = [
  [1, { column: 'peer', prefix: '"id":"' }],
  [2, { column: 'peer', prefix: '"peer":"' }],
  [3, { column: 'key', prefix: '"key":"' }],
  [4, { column: 'key', prefix: '"target":"' }],
  [5, '{"op":"find_node","rid":'],
  [6, '{"op":"find_value","rid":'],
  [7, '{"op":"ping","rid":'],
  [8, '{"op":"store","rid":'],
  [9, ',"outcome":"ok","latency_ms":'],
  [10, ',"error_code":null}'],
  [11, ',"addr":"'],
  [12, ',"bytes":'],
  [13, ',"hop":'],
  [14, ',"returned":['],
  [15, ',"returned_addrs":['],
  [16, ',"pointers":'],
  [18, ':4433"'],
  [19, ',"outcome":"'],
  [20, '","latency_ms":'],
  [21, ',"error_code":'],
  [22, '{"op":"'],
  [23, '","rid":'],
  [24, ',"publisher":"'],
  [25, ',"tessera":"'],
  [26, ',"seq":'],
  [27, ',"expires":'],
  [28, ',"holders":[{"id":"'],
  [29, ',"fragments":['],
  [30, ',"sig":"'],
  [31, ',"from":"'],
  [17, '","'],
];

// Control characters are the point here: JSON.stringify never writes them raw.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f]/;
// eslint-disable-next-line no-control-regex
const CODE = /[\u0001-\u001f]/g;
const HASH_HEX = /^[0-9a-f]{64}$/;

function fragmentText(fragment: Fragment, peer: string | null, key: string | null): string | null {
  if (typeof fragment === 'string') return fragment;
  const value = fragment.column === 'peer' ? peer : key;
  return value === null ? null : `${fragment.prefix}${value}"`;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const STATIC = DATA_CODES.filter(
  (entry): entry is readonly [number, string] => typeof entry[1] === 'string',
);
// One pass for the fixed fragments; at one position the longest fragment wins.
// The lookahead on the fragments' first characters makes the other positions fail at once.
const STATIC_PATTERN = new RegExp(
  `(?=[${escape([...new Set(STATIC.map(([, text]) => text[0]!))].join(''))}])(?:` +
    [...STATIC]
      .sort((a, b) => b[1].length - a[1].length)
      .map(([, text]) => escape(text))
      .join('|') +
    ')',
  'g',
);
const STATIC_CODES: ReadonlyMap<string, string> = new Map(
  STATIC.map(([code, text]) => [text, String.fromCharCode(code)]),
);
const ROW_FRAGMENTS = DATA_CODES.filter(([, fragment]) => typeof fragment !== 'string');

/**
 * The stored form of `data`: a Buffer of the encoded text, or the text itself when it (or the
 * row's peer or key) holds a control character, where the replacements would not be reversible.
 * Any choice of replacements decodes exactly (each code stands for one original substring), so
 * this one-pass encoder and the migration's replace() chain may differ in what they shorten.
 */
export function encodeData(data: string, peer: string | null, key: string | null): Buffer | string {
  const text = encodedDataText(data, peer, key);
  return text === null ? data : Buffer.from(text, 'utf8');
}

/**
 * The text whose UTF-8 bytes are the stored BLOB, or null when `data` is stored verbatim. The
 * journal's writer thread makes the bytes (journal-worker.ts): the event loop does the
 * replacing and hands over strings, which cross threads cheaper than a Buffer per row.
 */
export function encodedDataText(
  data: string,
  peer: string | null,
  key: string | null,
): string | null {
  if (
    CONTROL.test(data) ||
    (peer !== null && CONTROL.test(peer)) ||
    (key !== null && CONTROL.test(key))
  )
    return null;
  let text = data;
  for (const [code, fragment] of ROW_FRAGMENTS) {
    const from = fragmentText(fragment, peer, key);
    if (from !== null && text.includes(from))
      text = text.replaceAll(from, String.fromCharCode(code));
  }
  return text.replace(STATIC_PATTERN, (match) => STATIC_CODES.get(match)!);
}

const EXPANSIONS: ReadonlyMap<string, Fragment> = new Map(
  DATA_CODES.map(([code, fragment]) => [String.fromCharCode(code), fragment]),
);

/** The JSON text a stored `data` stands for: what the `events` view returns. */
export function decodeData(
  stored: Uint8Array | string,
  peer: string | null,
  key: string | null,
): string {
  if (typeof stored === 'string') return stored;
  return Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength)
    .toString('utf8')
    .replace(CODE, (c) => fragmentText(EXPANSIONS.get(c)!, peer ?? '', key ?? '')!);
}

/** 32 bytes for a lowercase hex hash; anything else is kept as text, verbatim. */
export function encodeHash(hash: string): Buffer | string {
  return HASH_HEX.test(hash) ? Buffer.from(hash, 'hex') : hash;
}

export function decodeHash(stored: Uint8Array | string): string {
  return typeof stored === 'string' ? stored : Buffer.from(stored).toString('hex');
}

/**
 * The stored rows with the names of their type, peer and key, as the `events` view has them
 * but with `data` and `hash` still encoded: the store decodes those in JS (decodeStoredRow),
 * 5x faster than the view's replace() chain. Filters use the aliases e, t, p, k.
 */
export const STORED_EVENTS_SELECT = `SELECT e.seq, e.at, t.name AS type, p.id AS peer, k.id AS key,
    e.lookup, e.data, e.hash
  FROM event_rows e
  LEFT JOIN event_types t ON t.code = e.type
  LEFT JOIN event_ids p ON p.n = e.peer
  LEFT JOIN event_ids k ON k.n = e.key`;

export interface StoredEventRow {
  seq: number;
  at: number;
  type: string;
  peer: string | null;
  key: string | null;
  lookup: number | null;
  data: Uint8Array | string;
  hash: Uint8Array | string;
}

export function decodeStoredRow(row: StoredEventRow): EventRow {
  return {
    seq: row.seq,
    at: row.at,
    type: row.type,
    peer: row.peer,
    key: row.key,
    lookup: row.lookup,
    data: decodeData(row.data, row.peer, row.key),
    hash: decodeHash(row.hash),
  };
}

/** What the writers insert through the view: `data` and `hash` already encoded (BLOBs). */
export type InsertedRow = [
  number,
  number,
  string,
  string | null,
  string | null,
  number | null,
  Buffer | string,
  Buffer | string,
];

/**
 * What the writer thread is handed per row: the text columns, then `data` as the encoded text
 * (BLOB) or verbatim (TEXT, when `blob` is false), and the hash in hex; the thread turns the
 * encoded text and a lowercase hex hash into bytes as encodeData and encodeHash would.
 */
export type HandedRow = [
  number,
  number,
  string,
  string | null,
  string | null,
  number | null,
  string,
  boolean,
  string,
];

export function handedRow(r: EventRow): HandedRow {
  const text = encodedDataText(r.data, r.peer, r.key);
  return [r.seq, r.at, r.type, r.peer, r.key, r.lookup, text ?? r.data, text !== null, r.hash];
}

export function storedRow(r: EventRow): InsertedRow {
  return [
    r.seq,
    r.at,
    r.type,
    r.peer,
    r.key,
    r.lookup,
    encodeData(r.data, r.peer, r.key),
    encodeHash(r.hash),
  ];
}
