import { AbortError, asApiError, throwIfAborted } from './errors.js';
import { launchNode } from './launch-node.js';
import { resolveNodeOptions } from './node-options.js';
import type { CheckedNodeOptions, NodeOptions, TesserasNode } from './node-types.js';
import { formatListenAddress } from '../cli/addresses.js';
import { checkDataDir } from '../cli/run-config.js';

/**
 * Starts a node on a data directory: restores its state from the event log, binds QUIC, and
 * (unless `join: false`) joins the network before resolving. Rejects with a typed error
 * (docs/api.md) and leaves nothing running or locked when it cannot start or join.
 */
export async function startNode(options: NodeOptions = {}): Promise<TesserasNode> {
  try {
    const config = resolveNodeOptions(options);
    const { signal } = options;
    throwIfAborted('startNode', signal);
    const node = await launchNode(config, options.logger ?? null);
    try {
      throwIfAborted('startNode', signal);
      if (options.join !== false) await node.join(signal === undefined ? {} : { signal });
    } catch (error) {
      await node.stop({ reason: error instanceof AbortError ? 'aborted' : 'join_failed' });
      throw error;
    }
    return node;
  } catch (error) {
    throw asApiError(error);
  }
}

/**
 * Validates options as `tesd run --check` does (addresses parse, the config file reads, the
 * data directory can be created and written) without starting anything; throws the error
 * startNode would. Creates the data directory if missing, writes nothing in it.
 */
export function checkNodeOptions(options: NodeOptions = {}): CheckedNodeOptions {
  try {
    const config = resolveNodeOptions(options);
    checkDataDir(config.dataDir);
    return {
      bind: config.bind,
      bootstrap: config.bootstrap.map((s) =>
        s.idHex === undefined ? s.addr : `${s.idHex}@${s.addr}`,
      ),
      dataDir: config.dataDir,
      admin: config.admin === null ? null : formatListenAddress(config.admin),
      metrics: config.metrics === null ? null : formatListenAddress(config.metrics),
      difficulty: config.difficulty,
      client: config.client,
      strictIpDiversity: config.strictIpDiversity,
      repair: config.repair,
    };
  } catch (error) {
    throw asApiError(error);
  }
}
