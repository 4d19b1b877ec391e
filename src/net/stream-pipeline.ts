import type { QUICStream } from '@matrixai/quic';
import { isDecodeError } from './frame-codec.js';
import { FrameReader } from './frame-reader.js';
import { describe, type RpcResult } from './rpc-stream.js';
import type { TransportFailure } from './transport.js';

/**
 * Requests in flight on one pipelined stream; more wait in the pool's line (SPEC §3.1: limits
 * are queueing, not errors). Far above what a lookup keeps in flight towards one peer.
 */
export const MAX_PIPELINED = 256;

type Pending = (result: RpcResult) => void;

/**
 * The client end of one long-lived bidirectional stream carrying many requests at once (SPEC
 * §3.1 pipelining). Responses are matched to requests by `rid`, so a request that timed out
 * (or that the server chose not to answer) only loses its own slot: its late answer is dropped
 * and the stream goes on. Writes made in one turn leave as one chunk.
 */
export class PipelinedStream {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly frames = new FrameReader();
  private readonly pending = new Map<number, Pending>();
  private outbox: Uint8Array[] = [];
  private outboxBytes = 0;
  private isDead = false;

  constructor(
    private readonly stream: QUICStream,
    private readonly onDead: () => void,
    /** A slot freed up (answered or cancelled): waiting requests may go. */
    private readonly onFree: () => void,
  ) {
    this.reader = stream.readable.getReader();
    this.writer = stream.writable.getWriter();
    void this.readLoop();
  }

  get dead(): boolean {
    return this.isDead;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Whether this rid is in flight here (a second one would be ambiguous: it waits). */
  has(rid: number): boolean {
    return this.pending.has(rid);
  }

  /** Sends one request whose frame carries `rid`; `onResult` is called at most once. */
  call(rid: number, frame: Uint8Array, onResult: Pending): void {
    this.pending.set(rid, onResult);
    if (this.outbox.length === 0) queueMicrotask(() => this.flush());
    this.outbox.push(frame);
    this.outboxBytes += frame.length;
  }

  /** Forgets a request (it timed out): its answer, if it comes, is dropped. */
  cancel(rid: number, onResult: Pending): void {
    if (this.pending.get(rid) !== onResult) return;
    this.pending.delete(rid);
    this.onFree();
  }

  /** Ends the stream and fails what is in flight (the connection is going away). */
  abort(failure: TransportFailure, message: string): void {
    this.fail(failure, message);
  }

  private flush(): void {
    if (this.isDead || this.outbox.length === 0) return;
    const chunk =
      this.outbox.length === 1 ? this.outbox[0]! : Buffer.concat(this.outbox, this.outboxBytes);
    this.outbox = [];
    this.outboxBytes = 0;
    this.writer.write(chunk).catch((error: unknown) => {
      this.fail('closed', `stream write failed: ${describe(error)}`);
    });
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done) return this.fail('closed', 'stream closed by peer');
        for (const item of this.frames.push(value)) {
          if (isDecodeError(item))
            return this.fail('protocol', `bad response framing: ${item.reason}`);
          this.deliver(item);
        }
      }
    } catch (error) {
      this.fail('closed', `stream read failed: ${describe(error)}`);
    }
  }

  private deliver(frame: Uint8Array): void {
    const rid = peekRid(frame);
    const pending = rid === null ? undefined : this.pending.get(rid);
    // An answer nobody waits for is the late answer of a request that timed out: dropped.
    if (pending === undefined || rid === null) return;
    this.pending.delete(rid);
    pending({ ok: true, frame });
    this.onFree();
  }

  private fail(failure: TransportFailure, message: string): void {
    if (this.isDead) return;
    this.isDead = true;
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.outbox = [];
    if (!this.stream.closed) {
      try {
        this.stream.cancel(new Error(message));
      } catch {
        // The connection is already gone; nothing is left to reset.
      }
    }
    this.onDead();
    for (const onResult of pending) onResult({ ok: false, failure, message });
  }
}

// A canonical WireMessage (SPEC §3.3) starts, after the 4-byte length, with a map whose first
// keys are "v" then "rid": fixmap header, fixstr "v", its value, fixstr "rid", a uint.
const KEY_V = [0xa1, 0x76] as const;
const KEY_RID = [0xa3, 0x72, 0x69, 0x64] as const;

/**
 * The `rid` of a whole frame, read without decoding it, or null if the frame does not start
 * as a canonical WireMessage (then it cannot be pipelined and goes on a stream of its own).
 */
export function peekRid(frame: Uint8Array): number | null {
  let at = 4;
  const header = frame[at++];
  if (header === undefined || header < 0x82 || header > 0x8f) return null;
  if (frame[at++] !== KEY_V[0] || frame[at++] !== KEY_V[1]) return null;
  const version = frame[at++];
  if (version === undefined || version > 0x7f) return null; // v is a positive fixint
  for (const byte of KEY_RID) if (frame[at++] !== byte) return null;
  const tag = frame[at];
  if (tag === undefined) return null;
  if (tag <= 0x7f) return tag;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (tag === 0xcc && frame.length >= at + 2) return view.getUint8(at + 1);
  if (tag === 0xcd && frame.length >= at + 3) return view.getUint16(at + 1);
  if (tag === 0xce && frame.length >= at + 5) return view.getUint32(at + 1);
  return null;
}
