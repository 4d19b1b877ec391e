import { BootstrapError } from '../api/errors.js';
import type { JoinResult, TesserasNode } from '../api/node-types.js';
import { launchNode } from '../api/launch-node.js';
import type { DaemonLog } from './daemon-log.js';
import type { RunConfig } from './run-config.js';

/**
 * `tesd run` on the library API: the node is composed by `launchNode` (src/api, the one
 * composition root, also behind `startNode`), with both HTTP listeners on. The daemon only
 * adds its lines: the start banner and how the join went, which never stops it (a node whose
 * bootstrap peers are down waits for others to join through it).
 */

export interface Daemon {
  readonly node: TesserasNode;
  readonly adminAddress: string;
  readonly metricsAddress: string;
  /** Stops gracefully: node_stopped, snapshot, transport, log closed, lock released. */
  stop(reason: string): Promise<void>;
}

export async function startDaemon(config: RunConfig, log: DaemonLog): Promise<Daemon> {
  const node = await launchNode(config, log);
  const adminAddress = node.adminAddr ?? '';
  const metricsAddress = node.metricsAddr ?? '';
  const { restored } = node;
  log.info(
    `tesd ${node.status().version} node ${node.id} on ${node.addr}` +
      `${config.client ? ' (client)' : config.server ? ' (server)' : ''}; restored ${restored.peers} peers and ` +
      `${restored.pointers} pointers from the log (seq ${restored.seq}); ` +
      `admin http://${adminAddress}, metrics http://${metricsAddress}/metrics`,
  );
  node.join().then(
    (result) => log.info(joinedLine(result)),
    (error: unknown) => {
      if (error instanceof BootstrapError && error.result !== null)
        log.info(joinedLine(error.result));
      else if (!node.stopped) log.warn(`join failed: ${(error as Error).message}`);
    },
  );
  return {
    node,
    adminAddress,
    metricsAddress,
    stop: (reason) => node.stop({ reason }),
  };
}

function joinedLine(result: JoinResult): string {
  if (result.peers === 0 && result.restored === 0)
    return 'no bootstrap or restored peers: waiting for others to join through this node';
  const asked =
    result.restored > 0 ? `${result.restored} restored peers` : `${result.peers} bootstrap peers`;
  return `joined: ${result.answered} of ${asked} answered; ${result.tableSize} peers in the routing table`;
}
