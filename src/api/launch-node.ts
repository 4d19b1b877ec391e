import { composeNode } from './compose-node.js';
import { NodeHandle } from './node-handle.js';
import type { NodeConfig } from './node-options.js';
import type { Logger, TesserasNode } from './node-types.js';

const SILENT: Logger = { info: () => undefined, warn: () => undefined };

/**
 * Composes and starts a node from validated options, without joining: `startNode` and
 * `tesd run` (src/cli/daemon.ts) both start here. Internal: not exported by the package.
 */
export async function launchNode(config: NodeConfig, logger: Logger | null): Promise<TesserasNode> {
  const composed = await composeNode(config, logger ?? SILENT);
  return new NodeHandle(composed, config.dataDir, config.bootstrap);
}
