/* global console, process */
// Usage: node scripts/check-layers.mjs  (run from the project root; `npm run lint` runs it).
// The pure layers (src/core, src/projections, src/dht) must not reach I/O, directly or through
// a relative import: follows every runtime import (type-only imports carry no code) from each
// of their files and fails, printing the chain, when one reaches an I/O module.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const PURE_LAYERS = ['src/core', 'src/projections', 'src/dht'];
// node:net stays allowed: core uses its pure isIP() to validate addresses; node:crypto is
// computation (hashes, Ed25519), and OS entropy is injected by the CLI through Random.
const IO_MODULES = new Set([
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'dgram',
  'node:dgram',
  'http',
  'node:http',
  'https',
  'node:https',
  'child_process',
  'node:child_process',
  'worker_threads',
  'node:worker_threads',
  'better-sqlite3',
  '@matrixai/quic',
]);
/** Runtime sources of entropy or time, banned by name as well (inject Random and Clock). */
const BANNED_NAMES = [
  /import\s*\{[^}]*\brandom(?:Bytes|UUID|Int|Fill)\b[^}]*\}\s*from\s*['"](?:node:)?crypto['"]/,
  /\bgetRandomValues\s*\(/,
  /\bperformance\.now\s*\(/,
];

const importRe = /(?:^|\n)\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/g;
const sideEffectRe = /(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Runtime imports of a file: relative ones resolved to .ts paths, bare ones as named. */
function imports(file) {
  const source = readFileSync(file, 'utf8');
  const out = [];
  const add = (spec) => {
    if (!spec.startsWith('.')) {
      out.push(spec);
      return;
    }
    let target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    if (!target.endsWith('.ts')) target += existsSync(`${target}.ts`) ? '.ts' : '/index.ts';
    if (existsSync(target)) out.push(target);
  };
  for (const m of source.matchAll(importRe)) {
    const typeOnly = m[2] !== undefined || /^\{\s*(type\s+[^,}]+,?\s*)+\}$/.test(m[3].trim());
    if (!typeOnly) add(m[4]);
  }
  for (const m of source.matchAll(sideEffectRe)) add(m[1]);
  return out;
}

const cache = new Map();
/** The chain from `file` to an I/O module, or null. */
function ioChain(file, visiting = new Set()) {
  if (cache.has(file)) return cache.get(file);
  if (visiting.has(file)) return null;
  visiting.add(file);
  let found = null;
  for (const target of imports(file)) {
    if (IO_MODULES.has(target)) {
      found = [file, target];
      break;
    }
    if (!target.startsWith('/')) continue;
    const rest = ioChain(target, visiting);
    if (rest !== null) {
      found = [file, ...rest];
      break;
    }
  }
  visiting.delete(file);
  cache.set(file, found);
  return found;
}

const root = process.cwd();
const show = (path) => (path.startsWith('/') ? relative(root, path) : path);
let problems = 0;
for (const layer of PURE_LAYERS) {
  for (const file of files(resolve(layer))) {
    const chain = ioChain(file);
    if (chain !== null) {
      problems++;
      console.error(`${show(file)}: reaches I/O through ${chain.map(show).join(' -> ')}`);
    }
    const source = readFileSync(file, 'utf8');
    for (const name of BANNED_NAMES) {
      if (name.test(source)) {
        problems++;
        console.error(`${show(file)}: reads OS entropy or a clock (${name.source}); inject it`);
      }
    }
  }
}
if (problems > 0) {
  console.error(
    `${problems} layer violation(s): src/core, src/projections and src/dht do no I/O ` +
      '(docs/design.md, Layout); move the I/O to the driver or the CLI',
  );
  process.exit(1);
}
console.log(`layers hold: ${PURE_LAYERS.join(', ')} reach no I/O module`);
