import { AbortError, EventsOverflowError } from './errors.js';

/**
 * An async iterable fed by pushes (live events, lookup steps): what the consumer has not read
 * yet waits in a bounded buffer. A consumer that falls further behind gets an
 * EventsOverflowError instead of unbounded memory or silently lost items. Ends when the
 * producer ends it, when the signal aborts (AbortError), or when the consumer breaks out.
 */
export class LiveQueue<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private waiting: {
    resolve: (result: IteratorResult<T>) => void;
    reject: (error: Error) => void;
  } | null = null;
  private ended = false;
  private failure: Error | null = null;
  private readonly onAbort: () => void;

  constructor(
    private readonly maxBuffered: number,
    private readonly signal: AbortSignal | undefined,
    private readonly onClose: () => void,
    private readonly what: string,
  ) {
    this.onAbort = () => this.fail(new AbortError(what, signal?.reason));
    if (signal?.aborted === true) this.fail(new AbortError(what, signal.reason));
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Hands one item to the consumer; false once the queue is closed (the producer may stop). */
  push(item: T): boolean {
    if (this.ended) return false;
    if (this.waiting !== null) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: item, done: false });
      return true;
    }
    if (this.buffer.length >= this.maxBuffered) {
      this.fail(
        new EventsOverflowError(
          'events_overflow',
          `${this.what}: the reader fell more than ${this.maxBuffered} items behind; ` +
            'read what was missed from the log (openLog(dataDir).events)',
        ),
      );
      return false;
    }
    this.buffer.push(item);
    return true;
  }

  /** The producer is done: the consumer reads what is buffered, then the iteration ends. */
  end(): void {
    this.close(null);
  }

  /** The iteration ends with `error` once the buffered items are read. */
  fail(error: Error): void {
    this.close(error);
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.buffer.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.ended) {
      if (this.failure !== null) {
        const error = this.failure;
        this.failure = null;
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.buffer.length = 0;
    this.failure = null;
    this.close(null);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private close(error: Error | null): void {
    if (this.ended) return;
    this.ended = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.onClose();
    if (error !== null && error instanceof AbortError) this.buffer.length = 0;
    if (this.waiting !== null) {
      const { resolve, reject } = this.waiting;
      this.waiting = null;
      if (error === null) resolve({ value: undefined, done: true });
      else reject(error);
      return;
    }
    this.failure = error;
  }
}
