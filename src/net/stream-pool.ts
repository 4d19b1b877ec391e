import type { QUICConnection } from '@matrixai/quic';
import { RpcStream, type RpcResult } from './rpc-stream.js';

/**
 * Streams in use at once on one connection; more requests wait in line. The library refuses
 * streams past the peer's credit (100 by default) and then cannot open any other stream on
 * that connection, so this stays well below it (SPEC §3.1: the limit is queueing, not errors).
 */
export const MAX_STREAMS_IN_USE = 64;
/** Open streams, including ones being reset after a timeout, before new ones wait too. */
export const MAX_LIVE_STREAMS = 90;

interface Job {
  readonly frame: Uint8Array;
  readonly onResult: (result: RpcResult) => void;
  stream: RpcStream | null;
  finished: boolean;
  retried: boolean;
}

/**
 * The idle streams of one client connection, reused RPC after RPC (opening a stream per RPC
 * measured about 3x slower: bench/quic-echo.ts), and the line of requests waiting for one.
 */
export class StreamPool {
  private readonly idle: RpcStream[] = [];
  private readonly waiting: Job[] = [];
  private inUse = 0;
  private live = 0;
  private exhausted = false;
  private closedReason: string | null = null;
  /** Streams opened over the pool's life (tests check that streams are reused). */
  streamsOpened = 0;

  constructor(
    private readonly connection: QUICConnection,
    private readonly onIdle: () => void,
    private readonly onExhausted: () => void,
  ) {}

  /** True while an RPC runs or waits: the connection is not idle. */
  get busy(): boolean {
    return this.inUse > 0 || this.waiting.length > 0;
  }

  /** Runs one RPC on a free stream (after waiting for one if needed); returns its cancel. */
  call(frame: Uint8Array, onResult: (result: RpcResult) => void): () => void {
    const job: Job = { frame, onResult, stream: null, finished: false, retried: false };
    if (this.closedReason !== null) {
      onResult({ ok: false, failure: 'closed', message: this.closedReason });
      return () => {};
    }
    this.waiting.push(job);
    this.pump();
    return () => this.cancel(job);
  }

  /** The connection closed: fail what waits; streams fail through their read loops. */
  close(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const job of this.waiting.splice(0)) this.finish(job, closedResult(reason));
  }

  private cancel(job: Job): void {
    if (job.finished) return;
    if (job.stream === null) {
      this.waiting.splice(this.waiting.indexOf(job), 1);
      job.finished = true;
      if (!this.busy) this.onIdle();
      return;
    }
    job.stream.abort('timeout', 'request cancelled');
  }

  private pump(): void {
    while (this.waiting.length > 0) {
      const stream = this.take();
      if (stream === null) break;
      this.run(stream, this.waiting.shift()!);
    }
    if (this.waiting.length > 0 && this.exhausted && this.inUse === 0) {
      const reason = 'connection has no stream left';
      for (const job of this.waiting.splice(0)) this.finish(job, closedResult(reason));
    }
  }

  private take(): RpcStream | null {
    while (this.idle.length > 0) {
      const stream = this.idle.pop()!;
      if (!stream.dead) return stream;
    }
    if (this.exhausted || this.inUse >= MAX_STREAMS_IN_USE || this.live >= MAX_LIVE_STREAMS) {
      return null;
    }
    try {
      const stream = new RpcStream(this.connection.newStream('bidi'), () => this.onStreamDead());
      this.live++;
      this.streamsOpened++;
      return stream;
    } catch {
      // Past the peer's stream credit the library cannot open any other stream on this
      // connection: keep using the open ones and let new requests dial a fresh connection.
      this.exhausted = true;
      this.onExhausted();
      return null;
    }
  }

  private run(stream: RpcStream, job: Job): void {
    this.inUse++;
    job.stream = stream;
    stream.call(job.frame, (result) => {
      this.inUse--;
      if (!stream.dead) this.idle.push(stream);
      if (!result.ok && result.retryable === true && !job.retried && !job.finished) {
        job.retried = true;
        job.stream = null;
        this.waiting.unshift(job);
      } else {
        this.finish(job, result);
      }
      this.pump();
      if (!this.busy) this.onIdle();
    });
  }

  private finish(job: Job, result: RpcResult): void {
    if (job.finished) return;
    job.finished = true;
    job.onResult(result);
  }

  private onStreamDead(): void {
    this.live--;
    // A death frees room under MAX_LIVE_STREAMS; pumping later avoids re-entering a caller.
    queueMicrotask(() => this.pump());
  }
}

function closedResult(message: string): RpcResult {
  return { ok: false, failure: 'closed', message };
}
