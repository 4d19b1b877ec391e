import type { QUICStream } from '@matrixai/quic';
import { invariant } from '../core/errors.js';
import { isDecodeError } from './frame-codec.js';
import { FrameReader } from './frame-reader.js';
import type { TransportFailure } from './transport.js';

export type RpcResult =
  | { readonly ok: true; readonly frame: Uint8Array }
  | {
      readonly ok: false;
      readonly failure: TransportFailure;
      readonly message: string;
      /** The peer closed a reused stream before reading this request: safe to send again. */
      readonly retryable?: true;
    };

/**
 * The client end of one bidirectional stream, reused for one RPC after another (SPEC §3.1):
 * a request frame out, the response frame back, nothing else meanwhile. A background read
 * loop frames the replies, so a peer that closes or resets the stream between RPCs is noticed
 * at once and the stream leaves the pool instead of failing the next RPC.
 */
export class RpcStream {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly frames = new FrameReader();
  private pending: ((result: RpcResult) => void) | null = null;
  private isDead = false;
  private answeredCount = 0;
  private bytesOfAnswer = 0;

  constructor(
    private readonly stream: QUICStream,
    private readonly onDead: (stream: RpcStream) => void,
  ) {
    this.reader = stream.readable.getReader();
    this.writer = stream.writable.getWriter();
    void this.readLoop();
  }

  get dead(): boolean {
    return this.isDead;
  }

  /** Sends one request; `onResult` is called exactly once. */
  call(frame: Uint8Array, onResult: (result: RpcResult) => void): void {
    invariant(this.pending === null && !this.isDead, 'RPC on a busy or dead stream');
    this.pending = onResult;
    this.bytesOfAnswer = 0;
    this.writer.write(frame).catch((error: unknown) => {
      this.fail('closed', `stream write failed: ${describe(error)}`);
    });
  }

  /**
   * Ends the stream (reset both ways) and fails its pending RPC. A stream whose request timed
   * out must not be reused: its late answer would be read as the next RPC's.
   */
  abort(failure: TransportFailure, message: string): void {
    this.fail(failure, message);
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done) {
          this.fail('closed', 'stream closed by peer');
          return;
        }
        this.bytesOfAnswer += value.length;
        for (const item of this.frames.push(value)) {
          if (isDecodeError(item)) {
            this.fail('protocol', `bad response framing: ${item.reason}`);
            return;
          }
          const pending = this.pending;
          if (pending === null) {
            this.fail('protocol', 'unsolicited frame on an idle stream');
            return;
          }
          this.pending = null;
          this.answeredCount++;
          pending({ ok: true, frame: item });
        }
      }
    } catch (error) {
      this.fail('closed', `stream read failed: ${describe(error)}`);
    }
  }

  private fail(failure: TransportFailure, message: string): void {
    if (this.isDead) return;
    this.isDead = true;
    const pending = this.pending;
    this.pending = null;
    if (!this.stream.closed) {
      try {
        this.stream.cancel(new Error(message));
      } catch {
        // The connection is already gone; nothing is left to reset.
      }
    }
    this.onDead(this);
    if (pending === null) return;
    // A server closes a stream only after answering a framing error or when its connection
    // goes, so a reused stream that ends before any answer byte never ran this request; it
    // can race with our reuse of the stream, and the pool then sends the request again.
    const retryable = failure === 'closed' && this.answeredCount > 0 && this.bytesOfAnswer === 0;
    pending(
      retryable ? { ok: false, failure, message, retryable } : { ok: false, failure, message },
    );
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
