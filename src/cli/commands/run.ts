import type { Command } from 'commander';
import { reportError } from '../cli-errors.js';
import { startDaemon } from '../daemon.js';
import { consoleLog } from '../daemon-log.js';
import {
  checkDataDir,
  MAX_DIFFICULTY,
  readConfigFile,
  resolveRunConfig,
  RUN_DEFAULTS,
  type RunSettings,
} from '../run-config.js';
import { formatListenAddress } from '../addresses.js';
import { collect, integerOption } from './options.js';

/** A clean stop must finish within this (issue 4: exit 0 within 5 s). */
const STOP_DEADLINE_MS = 4_500;

interface RunFlags {
  bind?: string;
  bootstrap?: string[];
  dataDir?: string;
  admin?: string;
  metrics?: string;
  difficulty?: number;
  client?: boolean;
  server?: boolean;
  strictIpDiversity?: boolean;
  repair?: boolean;
  config?: string;
  check?: boolean;
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run a node: QUIC on --bind, admin API on --admin, metrics on --metrics')
    .option(
      '--bind <host:port>',
      `UDP address to listen and send from (default ${RUN_DEFAULTS.bind})`,
    )
    .option(
      '--bootstrap <[id@]host:port>',
      'a peer to join through; repeat for more (only used when restored peers do not answer)',
      collect,
    )
    .option(
      '--data-dir <dir>',
      `identity, admin token and event log (default ${RUN_DEFAULTS.dataDir})`,
    )
    .option('--admin <host:port>', `admin API listener (default ${RUN_DEFAULTS.admin})`)
    .option(
      '--metrics <host:port>',
      `Prometheus /metrics listener (default ${RUN_DEFAULTS.metrics})`,
    )
    .option(
      '--difficulty <bits>',
      `minimum proof of work accepted from peers, and made for a new identity (default ${RUN_DEFAULTS.difficulty})`,
      integerOption(0, MAX_DIFFICULTY),
    )
    .option('--client', 'run without the DHT capability: never added to routing tables')
    .option(
      '--server',
      'advertise the DHT capability without waiting for a reachability check (a host you know is reachable)',
    )
    .option('--strict-ip-diversity', 'apply the per-/24 limits to loopback addresses too')
    .option('--repair', 'start on a broken log by keeping its valid prefix (says what it drops)')
    .option('--config <file>', 'JSON file of these settings (camelCase keys); flags override it')
    .option('--check', 'validate the configuration and exit')
    .action(async (flags: RunFlags) => {
      const fromFile = flags.config === undefined ? {} : readConfigFile(flags.config);
      const fromFlags: Partial<RunSettings> = {
        ...(flags.bind !== undefined && { bind: flags.bind }),
        ...(flags.bootstrap !== undefined && { bootstrap: flags.bootstrap }),
        ...(flags.dataDir !== undefined && { dataDir: flags.dataDir }),
        ...(flags.admin !== undefined && { admin: flags.admin }),
        ...(flags.metrics !== undefined && { metrics: flags.metrics }),
        ...(flags.difficulty !== undefined && { difficulty: flags.difficulty }),
        ...(flags.client === true && { client: true }),
        ...(flags.server === true && { server: true }),
        ...(flags.strictIpDiversity === true && { strictIpDiversity: true }),
        ...(flags.repair === true && { repair: true }),
      };
      const config = resolveRunConfig(fromFile, fromFlags);
      if (flags.check === true) {
        checkDataDir(config.dataDir);
        process.stdout.write(
          `configuration OK: bind ${config.bind}, data dir ${config.dataDir}, ` +
            `admin ${formatListenAddress(config.admin)}, metrics ${formatListenAddress(config.metrics)}, ` +
            `${config.bootstrap.length} bootstrap peers, difficulty ${config.difficulty}` +
            `${config.client ? ', client' : config.server ? ', server' : ''}\n`,
        );
        return;
      }
      const daemon = await startDaemon(config, consoleLog);
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals): void => {
        if (++signals > 1) {
          process.stderr.write(`tesd: second ${signal}: exiting now\n`);
          process.exit(130);
        }
        consoleLog.info(`${signal}: stopping`);
        setTimeout(() => {
          process.stderr.write('tesd: clean stop took too long; exiting\n');
          process.exit(1);
        }, STOP_DEADLINE_MS).unref();
        daemon.stop('signal').then(
          () => {
            consoleLog.info('stopped');
            process.exit(0);
          },
          (error: unknown) => {
            reportError(error);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
}
