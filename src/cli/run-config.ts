import { accessSync, constants, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { HostPort } from '../core/address.js';
import { TesdError } from '../core/errors.js';
import { DEFAULT_DIFFICULTY } from '../core/proof-of-work.js';
import type { Seed } from '../dht/bootstrap.js';
import { parseListenAddress, parseSeed } from './addresses.js';

/**
 * The configuration of `tesd run` (SPEC §6): flags, or a JSON file whose keys are the
 * camelCase flag names; flags override the file, defaults fill the rest.
 */

export const RUN_DEFAULTS = {
  bind: '0.0.0.0:4433', // SPEC §3.1: 127.0.0.1 could not reach other machines
  bootstrap: [] as string[],
  dataDir: './tesd-data',
  admin: '127.0.0.1:4480',
  metrics: '127.0.0.1:9464',
  difficulty: DEFAULT_DIFFICULTY,
  client: false,
  server: false,
  strictIpDiversity: false,
  repair: false,
};

/** Finding a nonce costs about 2^difficulty hashes: 24 is already ~16 M, seconds to minutes. */
export const MAX_DIFFICULTY = 24;

const settingsSchema = z
  .object({
    bind: z.string(),
    bootstrap: z.array(z.string()),
    dataDir: z.string().min(1),
    admin: z.string(),
    metrics: z.string(),
    difficulty: z.number().int().min(0).max(MAX_DIFFICULTY),
    client: z.boolean(),
    server: z.boolean(),
    strictIpDiversity: z.boolean(),
    repair: z.boolean(),
  })
  .strict();

export type RunSettings = z.infer<typeof settingsSchema>;

/** The validated configuration a daemon starts from. */
export interface RunConfig {
  readonly bind: string;
  readonly bootstrap: readonly Seed[];
  readonly dataDir: string;
  readonly admin: HostPort;
  readonly metrics: HostPort;
  readonly difficulty: number;
  readonly client: boolean;
  /** Advertise the DHT capability without a reachability check (issue 15). */
  readonly server: boolean;
  readonly strictIpDiversity: boolean;
  readonly repair: boolean;
}

export function readConfigFile(path: string): Partial<RunSettings> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TesdError(
      'config_unreadable',
      `cannot read --config ${path}: ${(error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TesdError(
      'config_invalid',
      `--config ${path} is not valid JSON: ${(error as Error).message}`,
    );
  }
  const parsed = settingsSchema.partial().safeParse(json);
  if (!parsed.success)
    throw new TesdError('config_invalid', `--config ${path}: ${describeIssue(parsed.error)}`);
  return stripUndefined(parsed.data);
}

/** File values, then flags, then defaults; every address parsed. */
export function resolveRunConfig(
  fromFile: Partial<RunSettings>,
  fromFlags: Partial<RunSettings>,
): RunConfig {
  const merged = { ...RUN_DEFAULTS, ...fromFile, ...stripUndefined(fromFlags) };
  const parsed = settingsSchema.safeParse(merged);
  if (!parsed.success) throw new TesdError('config_invalid', describeIssue(parsed.error));
  const s = parsed.data;
  parseListenAddress(s.bind, '--bind');
  if (s.client && s.server)
    throw new TesdError('config_invalid', '--client and --server contradict each other: pick one');
  return {
    bind: s.bind,
    bootstrap: s.bootstrap.map((seed) => parseSeed(seed)),
    dataDir: resolve(s.dataDir),
    admin: parseListenAddress(s.admin, '--admin'),
    metrics: parseListenAddress(s.metrics, '--metrics'),
    difficulty: s.difficulty,
    client: s.client,
    server: s.server,
    strictIpDiversity: s.strictIpDiversity,
    repair: s.repair,
  };
}

/**
 * `--check`: the data directory exists or can be created, and the caller can write in it.
 * Creates the directory (as `run` would); writes nothing in it.
 */
export function checkDataDir(dataDir: string): void {
  try {
    makeDirectory(dataDir);
  } catch (error) {
    throw new TesdError(
      'data_dir_unwritable',
      `cannot create --data-dir ${dataDir}: ${(error as Error).message}`,
    );
  }
  if (!statSync(dataDir).isDirectory())
    throw new TesdError('data_dir_unwritable', `--data-dir ${dataDir} is not a directory`);
  try {
    accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    throw new TesdError(
      'data_dir_unwritable',
      `--data-dir ${dataDir} is not writable by this user`,
    );
  }
}

/**
 * mkdir -p, one level at a time: Node 20's recursive mkdirSync loops forever under /proc
 * (`tesd run --data-dir /proc/x` hung instead of failing).
 */
function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw error;
    makeDirectory(parent);
    mkdirSync(dir, { mode: 0o700 });
  }
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid configuration';
  if (issue.code === 'unrecognized_keys')
    return `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  const where = issue.path.join('.');
  return `${where === '' ? 'configuration' : where}: ${issue.message}`;
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
