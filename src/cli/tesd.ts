#!/usr/bin/env node
import { Command } from 'commander';
import { DEFAULT_CONFIG } from '../dht/config.js';
import { reportError } from './cli-errors.js';
import { registerBackupCommand } from './commands/backup.js';
import { registerDevnetCommand } from './commands/devnet.js';
import { registerIdentityCommand } from './commands/identity.js';
import { registerPublishFindCommands } from './commands/publish-find.js';
import { registerRunCommand } from './commands/run.js';
import { registerInspectCommands } from './inspect/index.js';

/** `tesd`, the node's command line (SPEC §6). docs/cli.md describes every command. */
export function buildProgram(): Command {
  const program = new Command('tesd')
    .description('tesseras-node: a Kademlia DHT node whose memory is an SQLite event log')
    .version(DEFAULT_CONFIG.version)
    .showSuggestionAfterError(true)
    .configureOutput({
      // Commander's own errors (bad flag, missing argument) as one `tesd: ...` line.
      outputError: (text, write) => write(`tesd: ${text.replace(/^error: /, '').trim()}\n`),
    });
  registerRunCommand(program);
  registerPublishFindCommands(program);
  registerIdentityCommand(program);
  registerBackupCommand(program);
  registerDevnetCommand(program);
  registerInspectCommands(program);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    reportError(error);
    process.exitCode = 1;
  }
}

await main();
