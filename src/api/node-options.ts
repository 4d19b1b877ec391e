import type { HostPort } from '../core/address.js';
import { TesdError } from '../core/errors.js';
import type { Seed } from '../dht/bootstrap.js';
import { parseListenAddress, parseSeed } from '../cli/addresses.js';
import type { NodeOptions } from './node-types.js';
import {
  readConfigFile,
  resolveRunConfig,
  RUN_DEFAULTS,
  type RunSettings,
} from '../cli/run-config.js';

/** Options validated and every address parsed: what a node is composed from. */
export interface NodeConfig {
  readonly bind: string;
  readonly bootstrap: readonly Seed[];
  readonly dataDir: string;
  readonly admin: HostPort | null;
  readonly metrics: HostPort | null;
  readonly difficulty: number;
  readonly client: boolean;
  /** Advertise the DHT capability without waiting for a reachability check (issue 15). */
  readonly server: boolean;
  readonly strictIpDiversity: boolean;
  readonly repair: boolean;
}

const SETTING_KEYS = [
  'bind',
  'bootstrap',
  'dataDir',
  'difficulty',
  'client',
  'server',
  'strictIpDiversity',
  'repair',
] as const;

const KNOWN_OPTIONS = new Set<string>([
  ...SETTING_KEYS,
  'admin',
  'metrics',
  'config',
  'logger',
  'join',
  'signal',
]);

/**
 * Validates the options as `tesd run` validates its flags (`tesd run --check`): the config
 * file, then the fields, then the defaults. Throws InvalidArgumentError-coded TesdErrors.
 */
export function resolveNodeOptions(options: NodeOptions): NodeConfig {
  if (typeof options !== 'object' || options === null)
    throw new TesdError('bad_option', 'startNode needs an options object');
  const unknown = Object.keys(options).filter((key) => !KNOWN_OPTIONS.has(key));
  if (unknown.length > 0)
    throw new TesdError('bad_option', `unknown option(s) ${unknown.join(', ')}`);
  const fromFile = options.config === undefined ? {} : readConfigFile(options.config);
  const fields: Partial<RunSettings> = {};
  for (const key of SETTING_KEYS)
    if (options[key] !== undefined) Object.assign(fields, { [key]: options[key] });
  if (fields.bind !== undefined) parseListenAddress(fields.bind, 'bind');
  for (const seed of fields.bootstrap ?? []) parseSeed(seed, 'bootstrap');
  const admin = listener(options.admin ?? fromFile.admin ?? false, RUN_DEFAULTS.admin, 'admin');
  const metrics = listener(
    options.metrics ?? fromFile.metrics ?? false,
    RUN_DEFAULTS.metrics,
    'metrics',
  );
  const run = resolveRunConfig(fromFile, {
    ...fields,
    // Validated just above; the run config wants addresses there.
    admin: RUN_DEFAULTS.admin,
    metrics: RUN_DEFAULTS.metrics,
  });
  return { ...run, admin, metrics };
}

function listener(value: boolean | string, fallback: string, name: string): HostPort | null {
  if (value === false) return null;
  if (value === true) return parseListenAddress(fallback, name);
  if (typeof value !== 'string')
    throw new TesdError('bad_option', `${name} must be true, false or a host:port`);
  return parseListenAddress(value, name);
}
