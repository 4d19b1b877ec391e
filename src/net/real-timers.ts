import type { Timers } from '../core/clock.js';

// Node clamps longer delays to 1 ms (with a warning); clamping here keeps a long timer long.
const MAX_TIMEOUT_MS = 2_147_483_647;

/** Wall-clock Timers for a real node. Timers are unref()ed: they never keep a process alive. */
export const realTimers: Timers = {
  now: () => Date.now(),
  setTimer(delayMs, callback) {
    const timeout = setTimeout(callback, Math.min(Math.max(delayMs, 0), MAX_TIMEOUT_MS));
    timeout.unref();
    return { cancel: () => clearTimeout(timeout) };
  },
};
