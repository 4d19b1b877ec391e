import { randomBytes } from 'node:crypto';
import { seededRandom, type Random } from '../core/random.js';

/**
 * The Random of a real node: seeded from the OS, so two nodes never share a sequence. It
 * lives with the CLI, the only layer that reads OS entropy; the engine gets it injected.
 */
export function entropySeededRandom(): Random {
  return seededRandom(randomBytes(4).readUInt32LE(0));
}
