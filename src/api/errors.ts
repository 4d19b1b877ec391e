import { TesdError } from '../core/errors.js';

/**
 * The typed errors of the library API (docs/api.md lists every code). All are TesdErrors: one
 * base class with a stable `code` and a one-line message with context. Internal modules throw
 * plain TesdErrors; `asApiError` gives them their public class at the API boundary, so a caller
 * can branch on `instanceof` or on `code`.
 */

export { TesdError };

/** A bad key, tessera, address, option, SQL statement, moment or lookup id. */
export class InvalidArgumentError extends TesdError {
  override readonly name = 'InvalidArgumentError';
}

/** The data directory cannot be used: locked by another node, unwritable, or a broken log. */
export class DataDirError extends TesdError {
  override readonly name = 'DataDirError';
}

/** A listener (QUIC, admin, metrics) could not bind its address. */
export class ListenError extends TesdError {
  override readonly name = 'ListenError';
}

/** The node was stopped before or while the operation ran. */
export class NodeStoppedError extends TesdError {
  override readonly name = 'NodeStoppedError';
  constructor(message = 'the node is stopped') {
    super('node_stopped', message);
  }
}

/**
 * The caller's AbortSignal fired. `name` is 'AbortError' as in fetch and node:timers; the
 * signal's reason is the `cause`.
 */
export class AbortError extends TesdError {
  override readonly name = 'AbortError';
  constructor(what: string, reason?: unknown) {
    super('aborted', `${what} aborted`);
    if (reason !== undefined) this.cause = reason;
  }
}

/** Rejects at once when the signal has already fired. */
export function throwIfAborted(what: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AbortError(what, signal.reason);
}

/** No bootstrap peer (and no peer restored from the log) answered. */
export class BootstrapError extends TesdError {
  override readonly name = 'BootstrapError';
  /** What the join saw: bootstrap peers tried, restored peers, how many answered. */
  result: {
    readonly peers: number;
    readonly restored: number;
    readonly answered: number;
    readonly tableSize: number;
  } | null = null;
}

/** No node stored the pointer, or the journal could not record the publication. */
export class PublishError extends TesdError {
  override readonly name = 'PublishError';
}

/** A live event stream fell behind by more than its buffer; read the rest from the log. */
export class EventsOverflowError extends TesdError {
  override readonly name = 'EventsOverflowError';
}

const CLASS_OF_CODE: Record<string, new (code: string, message: string) => TesdError> = {
  bad_key: InvalidArgumentError,
  bad_tessera: InvalidArgumentError,
  bad_target: InvalidArgumentError,
  bad_address: InvalidArgumentError,
  bad_option: InvalidArgumentError,
  bad_holder: InvalidArgumentError,
  bad_moment: InvalidArgumentError,
  bad_time: InvalidArgumentError,
  bad_flag: InvalidArgumentError,
  bad_filter: InvalidArgumentError,
  bad_sql: InvalidArgumentError,
  sql_write_refused: InvalidArgumentError,
  no_lookup: InvalidArgumentError,
  config_invalid: InvalidArgumentError,
  config_unreadable: InvalidArgumentError,
  data_dir_locked: DataDirError,
  data_dir_unwritable: DataDirError,
  journal_corrupt: DataDirError,
  journal_unreadable: DataDirError,
  journal_locked: DataDirError,
  bad_log: DataDirError,
  schema_too_new: DataDirError,
  schema_outdated: DataDirError,
  migration_changed: DataDirError,
  identity_invalid: DataDirError,
  identity_unreadable: DataDirError,
  identity_unwritable: DataDirError,
  identity_too_weak: DataDirError,
  token_unreadable: DataDirError,
  token_unwritable: DataDirError,
  history_gone: DataDirError,
  bad_snapshot: DataDirError,
  no_identity: DataDirError,
  log_closed: DataDirError,
  backup_exists: InvalidArgumentError,
  bind_failed: ListenError,
  listen_failed: ListenError,
  address_in_use: ListenError,
  publish_failed: PublishError,
  journal_unavailable: PublishError,
  bootstrap_failed: BootstrapError,
};

/** The public class for an internal TesdError; anything else is wrapped as `internal`. */
export function asApiError(error: unknown): Error {
  if (error instanceof AbortError || error instanceof NodeStoppedError) return error;
  if (error instanceof TesdError) {
    const { code, message } = error;
    const Class = CLASS_OF_CODE[code];
    if (Class === undefined || error instanceof Class) return error;
    const typed = new Class(code, message);
    typed.cause = error;
    return typed;
  }
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const wrapped = new TesdError(typeof code === 'string' ? code : 'internal', message);
  wrapped.cause = error;
  return wrapped;
}
