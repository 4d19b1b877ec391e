import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../core/bytes.js';
import type { SigningKey } from '../core/ed25519.js';
import { TesdError } from '../core/errors.js';
import { entropySeededRandom } from '../core/random.js';
import { DEFAULT_CONFIG, makeConfig } from '../dht/config.js';
import { DhtNode } from '../dht/dht-node.js';
import { restoreState } from '../dht/snapshots.js';
import { acquireDataDirLock } from '../events/data-dir-lock.js';
import type { JournalStatus } from '../events/event-store.js';
import { repairLog } from '../events/repair-log.js';
import { EVENTS_DB_FILE, SqliteEventStore } from '../events/sqlite-event-store.js';
import { QuicTransport } from '../net/quic-transport.js';
import { realTimers } from '../net/real-timers.js';
import { formatListenAddress, parseListenAddress } from './addresses.js';
import { AdminServer } from './admin-server.js';
import { loadOrCreateAdminToken } from './admin-token.js';
import type { DaemonLog } from './daemon-log.js';
import { startDaemonTasks } from './daemon-tasks.js';
import { closeServer, listenErrorReason } from './http-listen.js';
import { loadOrCreateIdentity } from './identity-file.js';
import { startMetricsServer } from './metrics-server.js';
import { NodeMetrics } from './metrics.js';
import { NetworkSizeWatch } from './netsize-watch.js';
import type { DaemonInfo } from './node-views.js';
import { ObservedStore } from '../events/observed-event-store.js';
import { checkDataDir, type RunConfig } from './run-config.js';

/**
 * `tesd run`: the thin driver around the engine. It owns the data directory (lock, identity,
 * token, event log), the QUIC transport, real timers and the HTTP listeners; the engine
 * decides. Startup order matters: the state is restored from the log before the transport
 * answers anyone (SPEC §5 "Restart without bootstrapping").
 */

/** Transport close waits at most this long at stop: exit within 5 s (issue 4). */
const TRANSPORT_CLOSE_MS = 2_000;

export interface Daemon {
  readonly node: DhtNode;
  readonly adminAddress: string;
  readonly metricsAddress: string;
  /** Stops gracefully: node_stopped, snapshot, transport, log closed, lock released. */
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

export async function startDaemon(config: RunConfig, log: DaemonLog): Promise<Daemon> {
  const cleanup = new Cleanup();
  try {
    return await start(config, log, cleanup);
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

async function start(config: RunConfig, log: DaemonLog, cleanup: Cleanup): Promise<Daemon> {
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
  const store = new ObservedStore(sqlite);
  const state = restoreState(sqlite, identity);
  const restoredPeers = state.routing.byId.size;
  const restoredPointers = state.pointers.size;
  const restoredSeq = state.lastSeq;

  const transport = await createTransport(config.bind, key);
  cleanup.push(() => transport.close());
  const metrics = new NodeMetrics();
  const node = new DhtNode({
    key,
    identity,
    transport,
    timers: realTimers,
    random: entropySeededRandom(),
    store,
    config: makeConfig({
      difficulty: config.difficulty,
      strictIpDiversity: config.strictIpDiversity,
      caps: config.client ? 0 : DEFAULT_CONFIG.caps,
    }),
    state,
    warn: (message) => log.warn(message),
  });
  const networkSize = new NetworkSizeWatch(node);
  metrics.attach(node, () => networkSize.current);
  // The node records journal_paused / journal_resumed and warns; the store retries every second.
  onJournal = () => node.journalStatusChanged();

  const info: DaemonInfo = {
    startedAtMs: Date.now(),
    admin: '',
    metrics: '',
    bootstrap: null,
    restoredPeers,
    restoredPointers,
    networkSize: () => networkSize.current,
  };
  const admin = await AdminServer.start({ node, info, token, address: config.admin });
  cleanup.push(() => closeServer(admin.server.httpServer));
  const metricsListener = await startMetricsServer(metrics, config.metrics);
  cleanup.push(() => closeServer(metricsListener.server));
  const adminAddress = formatListenAddress(admin.address);
  const metricsAddress = formatListenAddress(metricsListener.address);
  Object.assign(info, { admin: adminAddress, metrics: metricsAddress });

  const tasks = startDaemonTasks(node, sqlite, log);
  store.onAppend((event) => {
    metrics.observe(event);
    tasks.observe(event);
    networkSize.observe(event);
  });
  node.start();
  networkSize.start();
  log.info(
    `tesd ${node.config.version} node ${identity.idHex} on ${transport.localAddr}` +
      `${config.client ? ' (client)' : ''}; restored ${restoredPeers} peers and ` +
      `${restoredPointers} pointers from the log (seq ${restoredSeq}); ` +
      `admin http://${adminAddress}, metrics http://${metricsAddress}/metrics`,
  );
  node.rejoin(config.bootstrap, (result) => {
    info.bootstrap = {
      peers: result.peers,
      restored: result.restored,
      answered: result.answered,
      table_size: result.tableSize,
    };
    log.info(
      result.peers === 0 && result.restored === 0
        ? 'no bootstrap or restored peers: waiting for others to join through this node'
        : `joined: ${result.answered} of ${result.restored > 0 ? `${result.restored} restored peers` : `${result.peers} bootstrap peers`} ` +
            `answered; ${result.tableSize} peers in the routing table`,
    );
  });

  let stopping: Promise<void> | null = null;
  const stop = async (reason: string): Promise<void> => {
    // Stop answering, let RPCs in flight settle, then record the end and close the log.
    transport.listen((_input, _remote, reply) => reply(null));
    await closeServer(admin.server.httpServer);
    await closeServer(metricsListener.server);
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
    sqlite.close();
    lock.release();
  };
  return {
    node,
    adminAddress,
    metricsAddress,
    stop: (reason) => (stopping ??= stop(reason)),
  };
}

/** The library only says "could not bind": probe the port with a plain UDP socket for why. */
async function createTransport(bind: string, key: SigningKey): Promise<QuicTransport> {
  try {
    return await QuicTransport.create({ bind, key, logLevel: 'error' });
  } catch (error) {
    if (!(error instanceof TesdError) || error.code !== 'bind_failed') throw error;
    const reason = await probeUdp(bind);
    throw new TesdError(
      'bind_failed',
      `cannot bind --bind ${bind} (UDP): ${reason ?? error.message}`,
    );
  }
}

function probeUdp(bind: string): Promise<string | null> {
  const address = parseListenAddress(bind, '--bind');
  const socket = createSocket(address.host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      resolve(listenErrorReason(error));
    });
    socket.bind(address.port, address.host, () => socket.close(() => resolve(null)));
  });
}

function reportRepair(dataDir: string, pk: string, log: DaemonLog): void {
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
