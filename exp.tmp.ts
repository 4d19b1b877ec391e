import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventMix } from './test/events/event-mix.js';
import { seededRandom } from './src/core/random.js';
const N = Number(process.env.N ?? 200000);
const r = seededRandom(1);
const mix = eventMix(() => r.float());
const rows = Array.from({ length: N }, (_, i) => { const e = mix.next(1.7e12 + i); return [i + 1, e.at, e.type, e.peer, e.key, e.lookup, JSON.stringify(e.data), 'ab'.repeat(32)]; });
const sql = readFileSync('migrations/0001_events.sql', 'utf8').replace(/CREATE INDEX[^;]*;/g, '');
const variants: Record<string, string[]> = {
  none: [],
  type: ['CREATE INDEX i1 ON events(type)'],
  peer: ['CREATE INDEX i2 ON events(peer) WHERE peer IS NOT NULL'],
  peer_full: ['CREATE INDEX i2 ON events(peer)'],
  key: ['CREATE INDEX i3 ON events(key) WHERE key IS NOT NULL'],
  lookup: ['CREATE INDEX i4 ON events(lookup) WHERE lookup IS NOT NULL'],
  all: ['CREATE INDEX i1 ON events(type)', 'CREATE INDEX i2 ON events(peer) WHERE peer IS NOT NULL', 'CREATE INDEX i3 ON events(key) WHERE key IS NOT NULL', 'CREATE INDEX i4 ON events(lookup) WHERE lookup IS NOT NULL'],
};
for (const ps of (process.env.PS ?? '4096').split(',').map(Number)) for (const ac of (process.env.AC ?? '1000').split(',').map(Number)) for (const cache of (process.env.CACHES ?? '2,32').split(',').map(Number)) for (const [name, idx] of Object.entries(variants)) {
  if (process.env.ONLY && !process.env.ONLY.split(',').includes(name)) continue;
  const dir = mkdtempSync(join(tmpdir(), 'exp-'));
  const db = new Database(join(dir, 'e.db'));
  db.pragma(`page_size=${ps}`); db.pragma('journal_mode=WAL'); db.pragma(`wal_autocheckpoint=${ac}`); db.pragma('synchronous=NORMAL'); db.pragma(`cache_size=${-cache * 1024}`);
  db.exec(sql); for (const i of idx) db.exec(i);
  const ins = db.prepare('INSERT INTO events VALUES (?,?,?,?,?,?,?,?)');
  const tx = db.transaction((b: unknown[][]) => { for (const row of b) ins.run(...row); });
  const t = performance.now();
  const B = Number(process.env.B ?? 1000); for (let i = 0; i < N; i += B) tx(rows.slice(i, i + B));
  const ms = performance.now() - t;
  const pages = db.pragma('page_count',{simple:true}) as number; console.log(`ps ${ps} ac ${ac} mb ${(pages*ps/1e6).toFixed(0)} cache ${cache}MiB ${name}: ${Math.round(N / ms * 1000)} rows/s`);
  db.close(); rmSync(dir, { recursive: true });
}
