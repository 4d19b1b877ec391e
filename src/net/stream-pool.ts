import type { QUICConnection } from '@matrixai/quic';
import { RpcStream, type RpcResult } from './rpc-stream.js';
import { MAX_PIPELINED, PipelinedStream, peekRid } from './stream-pipeline.js';

/**
 * Streams in use at once on one connection; more requests wait in line. The library refuses
 * streams past the peer's credit (32 from our nodes, quic-options.ts) and then cannot open any
 * other stream on that connection, so this stays below it (SPEC §3.1: the limit is queueing,
 * not errors). Only frames without a readable rid use these; the rest share one stream.
 */
export const MAX_STREAMS_IN_USE = 24;
/** Open streams, including ones being reset after a timeout, before new ones wait too. */
export const MAX_LIVE_STREAMS = 28;

/** A request that carries a readable `rid`: it goes on the pipelined stream. */
interface PipeJob {
  readonly rid: number;
  readonly frame: Uint8Array;
  readonly deliver: (result: RpcResult) => void;
  sent: boolean;
  finished: boolean;
}

interface Job {
  readonly frame: Uint8Array;
  readonly onResult: (result: RpcResult) => void;
  stream: RpcStream | null;
  finished: boolean;
  retried: boolean;
}

/**
 * The streams of one client connection. Requests whose frame carries a canonical `rid` (every
 * WireMessage, SPEC §3.3) share one long-lived pipelined stream, matched by `rid`, up to
 * MAX_PIPELINED in flight (SPEC §3.1); anything else runs one at a time on reused streams
 * (opening a stream per RPC measured about 3x slower: bench/quic-echo.ts). Past the limits,
 * requests wait in line.
 */
export class StreamPool {
  private readonly idle: RpcStream[] = [];
  private readonly waiting: Job[] = [];
  private inUse = 0;
  private live = 0;
  private exhausted = false;
  private pipe: PipelinedStream | null = null;
  private readonly pipeWaiting: PipeJob[] = [];
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
    return (
      this.inUse > 0 ||
      this.waiting.length > 0 ||
      this.pipeWaiting.length > 0 ||
      (this.pipe?.inFlight ?? 0) > 0
    );
  }

  /** Runs one RPC on a free stream (after waiting for one if needed); returns its cancel. */
  call(frame: Uint8Array, onResult: (result: RpcResult) => void): () => void {
    const job: Job = { frame, onResult, stream: null, finished: false, retried: false };
    if (this.closedReason !== null) {
      onResult({ ok: false, failure: 'closed', message: this.closedReason });
      return () => {};
    }
    const rid = peekRid(frame);
    if (rid !== null) return this.callPipelined(rid, frame, onResult);
    this.waiting.push(job);
    this.pump();
    return () => this.cancel(job);
  }

  /** The connection closed: fail what waits; streams fail through their read loops. */
  close(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const job of this.waiting.splice(0)) this.finish(job, closedResult(reason));
    for (const job of this.pipeWaiting.splice(0)) job.deliver(closedResult(reason));
  }

  private callPipelined(
    rid: number,
    frame: Uint8Array,
    onResult: (result: RpcResult) => void,
  ): () => void {
    const job: PipeJob = {
      rid,
      frame,
      sent: false,
      finished: false,
      deliver: (result) => {
        if (job.finished) return;
        job.finished = true;
        onResult(result);
        if (!this.busy) this.onIdle();
      },
    };
    this.pipeWaiting.push(job);
    this.pumpPipe();
    return () => this.cancelPipelined(job);
  }

  /** A timed-out request frees its slot; the stream and the others in flight go on. */
  private cancelPipelined(job: PipeJob): void {
    if (job.finished) return;
    job.finished = true;
    if (job.sent) this.pipe?.cancel(job.rid, job.deliver);
    else this.pipeWaiting.splice(this.pipeWaiting.indexOf(job), 1);
    if (!this.busy) this.onIdle();
  }

  private pumpPipe(): void {
    while (this.pipeWaiting.length > 0) {
      const pipe = this.takePipe();
      const job = this.pipeWaiting[0]!;
      // Full, or that rid is still in flight (its answer would be ambiguous): wait.
      if (pipe === null || pipe.inFlight >= MAX_PIPELINED || pipe.has(job.rid)) break;
      this.pipeWaiting.shift();
      job.sent = true;
      pipe.call(job.rid, job.frame, job.deliver);
    }
    if (this.pipeWaiting.length > 0 && this.exhausted && (this.pipe === null || this.pipe.dead)) {
      const reason = 'connection has no stream left';
      for (const job of this.pipeWaiting.splice(0)) job.deliver(closedResult(reason));
    }
  }

  private takePipe(): PipelinedStream | null {
    if (this.pipe !== null && !this.pipe.dead) return this.pipe;
    if (this.exhausted || this.closedReason !== null) return null;
    try {
      this.pipe = new PipelinedStream(
        this.connection.newStream('bidi'),
        // A dead pipe fails what it carried; what waits goes on a new one, later, so as not
        // to re-enter the caller.
        () => queueMicrotask(() => this.pumpPipe()),
        () => this.pumpPipe(),
      );
      this.streamsOpened++;
      return this.pipe;
    } catch {
      this.exhausted = true;
      this.onExhausted();
      return null;
    }
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
