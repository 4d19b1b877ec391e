import type { TimerHandle } from '../core/clock.js';

/**
 * A real timer that does not keep the process alive: the store's retries and the writer
 * thread's rest are housekeeping, and a process that has nothing else to do may exit.
 */
export function unrefTimer(fire: () => void, delayMs: number): TimerHandle {
  const timer = setTimeout(fire, delayMs).unref();
  return { cancel: () => clearTimeout(timer) };
}
