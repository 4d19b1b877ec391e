import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { toHex } from '../core/bytes.js';
import type { SigningKey } from '../core/ed25519.js';
import { TesdError } from '../core/errors.js';
import { entropySeededRandom } from '../cli/entropy.js';
import { isLoopback, parseAddress } from '../core/address.js';
import { DEFAULT_CONFIG, type ReachabilityMode } from '../dht/config.js';
import { createNode } from '../dht/create-node.js';
import type { DhtNode } from '../dht/dht-node.js';
import { restoreState } from '../dht/snapshots.js';
import { acquireDataDirLock } from '../events/data-dir-lock.js';
import type { JournalStatus } from '../events/event-store.js';
import type { ObservedStore } from '../events/observed-event-store.js';
import { repairLog } from '../events/repair-log.js';
import { EVENTS_DB_FILE, SqliteEventStore } from '../events/sqlite-event-store.js';
import { QuicTransport } from '../net/quic-transport.js';
import { realTimers } from '../net/real-timers.js';
import { formatListenAddress, parseListenAddress } from '../cli/addresses.js';
import { AdminServer } from '../cli/admin-server.js';
import { loadOrCreateAdminToken } from '../cli/admin-token.js';
import { startDaemonTasks } from '../cli/daemon-tasks.js';
import { closeServer, listenErrorReason } from '../cli/http-listen.js';
import { loadOrCreateIdentity } from '../cli/identity-file.js';
import { startMetricsServer } from '../cli/metrics-server.js';
import { NodeMetrics } from '../cli/metrics.js';
import { NetworkSizeWatch } from '../cli/netsize-watch.js';
import type { DaemonInfo } from '../cli/node-views.js';
import { checkDataDir } from '../cli/run-config.js';
import type { NodeConfig } from './node-options.js';
import type { Logger } from './node-types.js';
import { StoppableStore } from './stoppable-store.js';

/**
 * The one composition root of a real node (`startNode`, hence `tesd run`): the data directory
 * (lock, identity, token, event log), the QUIC transport, real timers, the daemon's timers
 * (snapshots, retention) and the optional HTTP listeners around the engine. Startup order
 * matters: the state is restored from the log before the transport answers anyone (SPEC §5
 * "Restart without bootstrapping").
 */

/** Transport close waits at most this long at stop: exit within 5 s (issue 4). */
const TRANSPORT_CLOSE_MS = 2_000;

export interface ComposedNode {
  readonly dht: DhtNode;
  /** Tells listeners about every recorded event. */
  readonly events: ObservedStore;
  readonly info: DaemonInfo;
  readonly adminAddress: string | null;
  readonly metricsAddress: string | null;
  readonly restored: { readonly peers: number; readonly pointers: number; readonly seq: number };
  /** Stops gracefully: node_stopped, snapshot, transport, log closed, lock released. Once. */
  stop(reason: string): Promise<void>;
}

/** Undo steps run in reverse when startup fails half way. */
class Cleanup {
  private readonly steps: Array<() => unknown> = [];
  push(step: () => unknown): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // Best effort: the error that made us clean up is the one to report.
      }
    }
  }
}

export async function composeNode(config: NodeConfig, log: Logger): Promise<ComposedNode> {
  const cleanup = new Cleanup();
  try {
    return await compose(config, log, cleanup);
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

async function compose(config: NodeConfig, log: Logger, cleanup: Cleanup): Promise<ComposedNode> {
  const { dataDir } = config;
  checkDataDir(dataDir);
  // One lock for everything below: identity creation and the log are both single-writer.
  const lock = acquireDataDirLock(dataDir);
  cleanup.push(() => lock.release());
  const { key, identity, created } = loadOrCreateIdentity(dataDir, config.difficulty);
  if (created) log.info(`created identity ${identity.idHex} in ${join(dataDir, 'identity.json')}`);
  const token = loadOrCreateAdminToken(dataDir);
  const pk = toHex(key.pk);
  if (config.repair && existsSync(join(dataDir, EVENTS_DB_FILE))) reportRepair(dataDir, pk, log);

  let onJournal: (status: JournalStatus) => void = () => undefined;
  const sqlite = SqliteEventStore.open(dataDir, {
    lock: false,
    pk,
    onStatusChange: (status) => onJournal(status),
  });
  cleanup.push(() => sqlite.close());
  // After stop, a lookup still running in the host process records nothing instead of
  // appending to a closed log (which would throw from a timer and crash the host).
  const store = new StoppableStore(sqlite);
  const state = restoreState(sqlite, identity);
  const restored = {
    peers: state.routing.byId.size,
    pointers: state.pointers.size,
    seq: state.lastSeq,
  };

  const transport = await createTransport(config.bind, key, !config.strictIpDiversity);
  cleanup.push(() => transport.close());
  const metrics = new NodeMetrics();
  const node = createNode(
    {
      key,
      identity,
      transport,
      timers: realTimers,
      random: entropySeededRandom(),
      store,
      warn: (message) => {
        if (!store.stopped) log.warn(message);
      },
    },
    {
      difficulty: config.difficulty,
      strictIpDiversity: config.strictIpDiversity,
      caps: config.client ? 0 : DEFAULT_CONFIG.caps,
      ...reachabilitySettings(config, transport.localAddr),
    },
    { state },
  );
  const networkSize = new NetworkSizeWatch(node);
  metrics.attach(node, () => networkSize.current);
  // The node records journal_paused / journal_resumed and warns; the store retries every second.
  onJournal = () => {
    if (!store.stopped) node.journalStatusChanged();
  };

  const info: DaemonInfo = {
    startedAtMs: Date.now(),
    admin: '',
    metrics: '',
    bootstrap: null,
    restoredPeers: restored.peers,
    restoredPointers: restored.pointers,
    networkSize: () => networkSize.current,
  };
  const httpServers: Server[] = [];
  let adminAddress: string | null = null;
  if (config.admin !== null) {
    const admin = await AdminServer.start({
      node,
      info,
      token,
      address: config.admin,
      events: store,
      dataDir,
    });
    httpServers.push(admin.server.httpServer);
    cleanup.push(() => closeServer(admin.server.httpServer));
    adminAddress = formatListenAddress(admin.address);
  }
  let metricsAddress: string | null = null;
  if (config.metrics !== null) {
    const listener = await startMetricsServer(metrics, config.metrics);
    httpServers.push(listener.server);
    cleanup.push(() => closeServer(listener.server));
    metricsAddress = formatListenAddress(listener.address);
  }
  Object.assign(info, { admin: adminAddress ?? '', metrics: metricsAddress ?? '' });

  const tasks = startDaemonTasks(node, sqlite, log);
  cleanup.push(() => tasks.stop());
  store.onAppend((event) => {
    metrics.observe(event);
    tasks.observe(event);
    networkSize.observe(event);
  });
  node.start();
  networkSize.start();

  let stopping: Promise<void> | null = null;
  const stop = async (reason: string): Promise<void> => {
    // Stop answering, let RPCs in flight settle, then record the end and close the log.
    node.beginStop();
    transport.listen((_input, _remote, reply) => reply(null));
    for (const server of httpServers) await closeServer(server);
    tasks.stop();
    networkSize.stop();
    await Promise.race([
      transport.close(),
      new Promise((resolve) => setTimeout(resolve, TRANSPORT_CLOSE_MS).unref()),
    ]);
    tasks.snapshotNow();
    try {
      node.stop(reason);
    } catch (error) {
      log.warn(`node_stopped not recorded: ${(error as Error).message}`);
    }
    store.stop();
    sqlite.close();
    lock.release();
  };
  return {
    dht: node,
    events: store,
    info,
    adminAddress,
    metricsAddress,
    restored,
    stop: (reason) => (stopping ??= stop(reason)),
  };
}

/** The library only says "could not bind": probe the port with a plain UDP socket for why. */
async function createTransport(
  bind: string,
  key: SigningKey,
  loopbackExempt: boolean,
): Promise<QuicTransport> {
  try {
    // Loopback is exempt from the per-host connection ceiling exactly as from the request
    // limits and diversity caps: unless the node runs with --strict-ip-diversity (SPEC §3.1).
    return await QuicTransport.create({ bind, key, logLevel: 'error', loopbackExempt });
  } catch (error) {
    if (!(error instanceof TesdError) || error.code !== 'bind_failed') throw error;
    const reason = await probeUdp(bind);
    throw new TesdError('bind_failed', `cannot bind ${bind} (UDP): ${reason ?? error.message}`);
  }
}

function probeUdp(bind: string): Promise<string | null> {
  const address = parseListenAddress(bind, 'bind');
  const socket = createSocket(address.host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      resolve(listenErrorReason(error));
    });
    socket.bind(address.port, address.host, () => socket.close(() => resolve(null)));
  });
}

function reportRepair(dataDir: string, pk: string, log: Logger): void {
  const result = repairLog(dataDir, { lock: false, pk });
  if (result.brokenFile === null) {
    log.info(`--repair: the log verified clean (${result.keptRows} events); nothing dropped`);
    return;
  }
  const range =
    result.droppedFromSeq === null ? '' : ` (seq ${result.droppedFromSeq}..${result.droppedToSeq})`;
  log.warn(
    `--repair: ${result.report.problems[0] ?? 'the log was broken'}; kept ${result.keptRows} events, ` +
      `dropped ${result.droppedRows}${range} and ${result.droppedSnapshots} snapshots; ` +
      `the damaged file is kept as ${result.brokenFile}`,
  );
}

/**
 * Issue 15: a node checks its reachability and, unless told (`client`, `server`), serves the
 * DHT only once confirmed. A node bound to loopback only ever talks to its own machine:
 * nothing to check there, it serves as before.
 */
function reachabilitySettings(
  config: { readonly client: boolean; readonly server: boolean },
  localAddr: string,
): { reachabilityMode: ReachabilityMode; reachabilityChecks: boolean } {
  const loopback = isLoopback(parseAddress(localAddr)?.host ?? '');
  const reachabilityMode: ReachabilityMode = config.client
    ? 'client'
    : config.server || loopback
      ? 'server'
      : 'auto';
  return { reachabilityMode, reachabilityChecks: !loopback };
}
