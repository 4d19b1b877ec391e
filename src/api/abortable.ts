import { AbortError } from './errors.js';

/**
 * Turns one callback-style engine operation into a promise that an AbortSignal can reject.
 * The engine's operation cannot be cancelled half way (a lookup already sent its RPCs); abort
 * stops the waiting, and the operation runs to its own deadline and is recorded as usual.
 */
export function abortable<T>(
  what: string,
  signal: AbortSignal | undefined,
  run: (resolve: (value: T) => void, reject: (error: Error) => void) => void,
): Promise<T> {
  if (signal?.aborted === true) return Promise.reject(new AbortError(what, signal.reason));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => settle(() => reject(new AbortError(what, signal?.reason)));
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      run(
        (value) => settle(() => resolve(value)),
        (error) => settle(() => reject(error)),
      );
    } catch (error) {
      settle(() => reject(error instanceof Error ? error : new Error(String(error))));
    }
  });
}
