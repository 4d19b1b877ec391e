/**
 * tesseras-node as a library: `import { startNode, openLog } from 'tesseras-node'`. This file
 * is the package's only entry point (package.json `exports`); docs/api.md describes each
 * export. Everything else under src/ is internal.
 */

export { checkNodeOptions, startNode } from './start-node.js';
export type {
  CheckedNodeOptions,
  EventsOptions,
  FindOptions,
  FindResult,
  HolderInput,
  JoinResult,
  Logger,
  NodeEvent,
  NodeOptions,
  NodeStatus,
  PeerEntry,
  PublishOptions,
  PublishResult,
  TesserasNode,
  WaitOptions,
} from './node-types.js';
export { lookupStepOf } from './lookup-steps.js';
export type { LookupFinished, LookupStarted, LookupStep, LookupStepped } from './lookup-steps.js';
export { openLog } from './event-log.js';
export type {
  BackupResult,
  CheckOptions,
  CheckReport,
  EventLog,
  EventsQuery,
  LookupSummary,
  LookupsQuery,
  MomentInput,
  PointersView,
  Replay,
  ReplayCandidate,
  ReplayOptions,
  ReplayStep,
  RoutingPeer,
  RoutingView,
  VerifyReport,
} from './log-types.js';
export {
  AbortError,
  BootstrapError,
  DataDirError,
  EventsOverflowError,
  InvalidArgumentError,
  ListenError,
  NodeStoppedError,
  PublishError,
  TesdError,
} from './errors.js';
export { EVENT_TYPES } from '../events/event-types.js';
export type {
  EventDataMap,
  EventType,
  LookupKind,
  PointerData,
  RpcOutcome,
  StepOutcome,
} from '../events/event-types.js';
