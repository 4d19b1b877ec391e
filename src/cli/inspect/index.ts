import type { Command } from 'commander';
import { registerEvents } from './events-command.js';
import { processIo, type InspectIo } from './inspect-io.js';
import { registerLookupCommands } from './lookup-commands.js';
import { registerSql } from './sql-command.js';
import { registerStateCommands } from './state-commands.js';
import { registerTrace } from './trace-command.js';
import { registerVerify } from './verify-command.js';

/**
 * The inspection commands of SPEC §6: verify, sql, events, routing, pointers, lookups,
 * replay, trace. They open events.db read-only and never write to the data directory; the logic is
 * in src/inspect, these files parse flags and print. `io` is replaced by tests.
 */
export function registerInspectCommands(program: Command, io: InspectIo = processIo): void {
  registerVerify(program, io);
  registerSql(program, io);
  registerEvents(program, io);
  registerStateCommands(program, io);
  registerLookupCommands(program, io);
  registerTrace(program, io);
}
