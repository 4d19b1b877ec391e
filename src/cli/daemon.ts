import { BootstrapError } from '../api/errors.js';
import type { JoinResult, TesserasNode } from '../api/node-types.js';
import { launchNode } from '../api/launch-node.js';
import type { DaemonLog } from './daemon-log.js';
import type { RunConfig } from './run-config.js';

/**
 * `tesd run` on the library API: the node is composed by `launchNode` (src/api, the one
 * composition root, also behind `startNode`), with both HTTP listeners on. The daemon only
 * adds its lines: the start banner and how the join went, which never stops it: a join that
 * nobody answered is tried again later (joinUntilAnswered).
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
  const retries = joinUntilAnswered(node, log);
  return {
    node,
    adminAddress,
    metricsAddress,
    stop: (reason) => {
      retries.cancel();
      return node.stop({ reason });
    },
  };
}

/** The first retry of a join nobody answered; each next one waits twice as long. */
const FIRST_JOIN_RETRY_MS = 5_000;
const LAST_JOIN_RETRY_MS = 5 * 60_000;

/**
 * Joins, and joins again while nobody answers: a node started before its bootstrap peers, or
 * while they or the machine were too slow to answer within the RPC timeout, would otherwise
 * stay alone with an empty table for good. A node with neither seeds nor restored peers waits
 * for others to join through it instead.
 */
function joinUntilAnswered(node: TesserasNode, log: DaemonLog): { cancel(): void } {
  let timer: NodeJS.Timeout | null = null;
  let delayMs = FIRST_JOIN_RETRY_MS;
  const again = (result: JoinResult): void => {
    const alone = result.answered === 0 && (result.peers > 0 || result.restored > 0);
    if (!alone || node.stopped) return;
    log.info(`nobody answered the join: trying again in ${delayMs / 1000} s`);
    timer = setTimeout(attempt, delayMs);
    delayMs = Math.min(delayMs * 2, LAST_JOIN_RETRY_MS);
  };
  const attempt = (): void => {
    timer = null;
    node.join().then(
      (result) => {
        log.info(joinedLine(result));
        again(result);
      },
      (error: unknown) => {
        if (error instanceof BootstrapError && error.result !== null) {
          log.info(joinedLine(error.result));
          again(error.result);
        } else if (!node.stopped) log.warn(`join failed: ${(error as Error).message}`);
      },
    );
  };
  attempt();
  return {
    cancel: () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

function joinedLine(result: JoinResult): string {
  if (result.peers === 0 && result.restored === 0)
    return 'no bootstrap or restored peers: waiting for others to join through this node';
  const asked =
    result.restored > 0 ? `${result.restored} restored peers` : `${result.peers} bootstrap peers`;
  return `joined: ${result.answered} of ${asked} answered; ${result.tableSize} peers in the routing table`;
}
