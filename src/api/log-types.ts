import type { EventType, LookupKind, PointerData, StepOutcome } from '../events/event-types.js';
import type { NodeEvent } from './node-types.js';

/**
 * The public types of `openLog` (docs/api.md): the same shapes as the `--json` output of the
 * inspection commands. Declared here, apart from the modules that compute them, so the
 * package's declarations do not drag in SQLite's; event-log.ts checks that the internal
 * results fit them.
 */

/** A moment in the log: a seq (right after that event), a Date, or text as `--at` takes it. */
export type MomentInput = number | Date | string;

/** `tesd events` filters. */
export interface EventsQuery {
  readonly types?: readonly EventType[];
  /** A hex node ID or prefix. */
  readonly peer?: string;
  /** A hex pointer key / lookup target, or prefix. */
  readonly key?: string;
  readonly lookup?: number;
  /** Only events at or after this time (a Date, unix ms, or ISO / `10m` text). */
  readonly since?: Date | number | string;
  /** Only events after this seq. */
  readonly afterSeq?: number;
  /** The last `limit` matching events (default all). */
  readonly limit?: number;
}

export interface LookupsQuery {
  readonly kind?: LookupKind;
  readonly since?: Date | number | string;
  readonly limit?: number;
}

export interface ReplayOptions {
  /** The k the node ran with (not recorded in the log); default 20. */
  readonly k?: number;
}

export interface CheckOptions {
  readonly k?: number;
  readonly alpha?: number;
  readonly perGroup?: number;
  /** Apply the /24 cap to loopback addresses too (a node run with strictIpDiversity). */
  readonly strictIpDiversity?: boolean;
}

/** One line of `tesd lookups`. */
export interface LookupSummary {
  readonly id: number;
  readonly target: string;
  readonly kind: LookupKind;
  readonly started_at_ms: number;
  /** Null while the lookup runs, or if the node stopped before it finished. */
  readonly duration_ms: number | null;
  readonly hops: number | null;
  readonly rpcs: number | null;
  readonly results: number | null;
  readonly pointers: number | null;
  /** converged, deadline, found, exhausted; `unfinished` without a lookup_finished event. */
  readonly outcome: string;
}

/** A peer as the routing table's snapshot form holds it. */
export interface RoutingPeer {
  readonly id: string;
  readonly pk: string;
  readonly nonce: number;
  readonly addr: string;
  readonly caps: number;
}

/** `tesd routing --json`: the table right after event `seq`. */
export interface RoutingView {
  readonly seq: number;
  readonly at_ms: number | null;
  readonly snapshot_seq: number | null;
  readonly self: string;
  readonly peers: number;
  readonly buckets: Array<{
    readonly index: number;
    readonly last_activity_at_ms: number;
    readonly entries: Array<
      RoutingPeer & {
        readonly added_at_ms: number;
        readonly last_seen_at_ms: number;
        readonly failures: number;
      }
    >;
    readonly replacements: RoutingPeer[];
    readonly shared_prefix_bits: number;
  }>;
}

/** `tesd pointers --json`: stored pointers and own publications right after event `seq`. */
export interface PointersView {
  readonly seq: number;
  readonly at_ms: number | null;
  readonly snapshot_seq: number | null;
  readonly stored: Array<PointerData & { readonly from: string; readonly stored_at_ms: number }>;
  readonly published: PointerData[];
}

export interface ReplayCandidate {
  readonly id: string;
  readonly addr: string | null;
  /** Bits shared with the target: higher is closer. */
  readonly cpl: number;
  readonly hop: number;
  readonly state: 'new' | 'inflight' | 'slow' | 'answered' | 'failed';
  /** Who returned it first (null for a seed). */
  readonly learnedFrom: string | null;
}

export interface ReplayStep {
  readonly seq: number;
  /** Since the lookup started. */
  readonly elapsedMs: number;
  readonly sentElapsedMs: number | null;
  readonly peer: string;
  readonly addr: string;
  readonly hop: number;
  readonly cpl: number;
  readonly outcome: StepOutcome;
  readonly latencyMs: number;
  readonly returned: Array<{
    readonly id: string;
    readonly cpl: number;
    readonly isNew: boolean;
  }>;
  readonly pointers: number;
  /** The k closest candidates not failed, after this step, closest first. */
  readonly shortlist: ReplayCandidate[];
}

/** `tesd replay --json`: a recorded lookup rebuilt step by step from its events. */
export interface Replay {
  readonly id: number;
  readonly target: string;
  readonly kind: string;
  readonly startedAtMs: number;
  readonly k: number;
  readonly seeds: ReplayCandidate[];
  readonly steps: ReplayStep[];
  /** RPCs sent that never produced a step. */
  readonly unanswered: Array<{
    readonly peer: string;
    readonly cpl: number;
    readonly sentElapsedMs: number;
  }>;
  /** From the lookup_finished event, null if the lookup never finished. */
  readonly recorded: {
    readonly result: string[];
    readonly pointers: number;
    readonly hops: number;
    readonly rpcs: number;
    readonly durationMs: number;
    readonly reason: string;
  } | null;
  /** What the replay computes from the steps: equals `recorded` for a sound log. */
  readonly reconstructed: {
    readonly result: string[];
    readonly hops: number;
    readonly rpcs: number;
  };
  /** Why it ended, in words. */
  readonly explanation: string;
}

/** `tesd replay --check`: the current lookup planner driven by the recorded answers. */
export interface CheckReport {
  readonly matches: boolean;
  readonly stepsChecked: number;
  readonly settings: {
    readonly k: number;
    readonly alpha: number;
    readonly perGroup: number;
    readonly stopAtFirstValue: boolean;
  };
  /** Where the current code decides otherwise than the recorded run, if anywhere. */
  readonly divergence: {
    readonly step: number;
    readonly seq: number;
    readonly recorded: string;
    readonly current: string;
  } | null;
  /** What the check could not know from the log. */
  readonly caveats: string[];
}

/** `tesd verify --json`. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly checkedRows: number;
  /** The first seq that cannot be trusted (repair keeps the rows before it). */
  readonly firstBadSeq: number | null;
  readonly problems: string[];
  /** Snapshot rows that are not valid checkpoints. */
  readonly badSnapshotSeqs: number[];
}

export interface BackupResult {
  readonly totalPages: number;
}

/**
 * A data directory's event log, read-only (what the inspection commands use): works while
 * its node runs or not, and never writes to it. Close it when done.
 */
export interface EventLog {
  readonly dataDir: string;
  /** The seq of the last committed event (follows a running node's commits). */
  readonly lastSeq: number;
  /** One read-only SQL statement (`tesd sql`): rows as objects; `params` bind `?` or `:name`. */
  sql(
    query: string,
    params?: readonly unknown[] | Readonly<Record<string, unknown>>,
  ): Array<Record<string, unknown>>;
  /** Recorded events, oldest first (`tesd events`). */
  events(query?: EventsQuery): NodeEvent[];
  /** Recorded lookups, newest first (`tesd lookups`). */
  lookups(query?: LookupsQuery): LookupSummary[];
  /** The routing table right after a moment; now when omitted (`tesd routing --at`). */
  routingAt(moment?: MomentInput): RoutingView;
  /** The pointer store and own publications at a moment (`tesd pointers --at`). */
  pointersAt(moment?: MomentInput): PointersView;
  /** A recorded lookup step by step, from its events alone (`tesd replay`). */
  replay(lookupId: number, options?: ReplayOptions): Replay;
  /** Re-decides a recorded lookup with the current planner and compares (`tesd replay --check`). */
  checkReplay(lookupId: number, options?: CheckOptions): CheckReport;
  /** A self-contained HTML page picturing a lookup (`tesd replay --html`). */
  replayHtml(lookupId: number, options?: ReplayOptions): string;
  /** Hash chain, checkpoint signatures and PRAGMA quick_check (`tesd verify`). */
  verify(): VerifyReport;
  /** An online copy of the log to a new file (`tesd backup`); the file must not exist. */
  backup(outFile: string): Promise<BackupResult>;
  close(): void;
}
