import type { QUICStream } from '@matrixai/quic';
import type Logger from '@matrixai/logger';
import { ErrorCode } from './messages.js';
import { isDecodeError, type DecodeError } from './frame-codec.js';
import { FrameReader } from './frame-reader.js';
import { OrderedReplies } from './stream-replies.js';
import type { HostPacer } from './stream-pacer.js';
import type { StallSweeper, StallWatch } from './stream-stall.js';
import type { TeardownQueue } from './stream-teardown.js';
import type { RemotePeer, RequestHandler } from './transport.js';

/** What serves every stream of a transport: the stall sweep and the per-host read budget. */
export interface StreamServing {
  readonly stalls: StallSweeper;
  readonly stallTimeoutMs: number;
  /** Null: the host is not paced (loopback without strict IP diversity). */
  readonly pacer: HostPacer | null;
  /** The source host (IPv4 address, IPv6 /64) the read budget is counted under. */
  readonly host: string;
  readonly logger: Logger;
  /** Streams the peer broke are reset a few per turn (one datagram can end a hundred). */
  readonly teardown: TeardownQueue;
}

/**
 * Serves one incoming stream (SPEC §3.1, §3.2): reads its frames, each to the handler, replies
 * in order (OrderedReplies), and keeps the stream open for the next frame until the client
 * closes it. A framing error (oversized length, end mid-frame) goes to the handler as a
 * DecodeError and, once its reply is written, the stream is closed; a frame stalled past the
 * timeout is answered the same way when the sweep finds it. A host past its read budget is not
 * read until the next second. Nothing a peer sends here can throw out of this function.
 */
export function serveStream(
  stream: QUICStream,
  remote: RemotePeer,
  handler: RequestHandler,
  serving: StreamServing,
): void {
  void new ServedStream(stream, remote, handler, serving).readLoop();
}

/**
 * One stream being served: its life (ending once the client closed it or a frame was
 * malformed or stalled, broken once the peer reset it) and its frames, each to the handler.
 */
class ServedStream {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly frames = new FrameReader();
  private ending = false;
  private broken = false;
  private readonly replies: OrderedReplies;
  // The clock runs from a frame's first byte to its last, so a peer trickling bytes cannot
  // hold the stream open past the timeout either.
  private readonly watch: StallWatch = { midFrameSinceMs: null, onStall: () => this.onStall() };

  constructor(
    private readonly stream: QUICStream,
    private readonly remote: RemotePeer,
    private readonly handler: RequestHandler,
    private readonly serving: StreamServing,
  ) {
    this.reader = stream.readable.getReader();
    this.replies = new OrderedReplies(stream.writable.getWriter(), () => this.abort());
  }

  /** Reads frames until the stream ends or breaks; never throws. */
  async readLoop(): Promise<void> {
    const { serving, frames } = this;
    try {
      while (!this.ending) {
        if (serving.pacer?.exhausted(serving.host) === true) {
          await serving.pacer.nextWindow();
          continue;
        }
        const { value, done } = await this.reader.read();
        if (this.ending || this.broken) return;
        if (done) {
          const error = frames.end();
          if (error !== null) this.dispatch(error);
          return this.end(false);
        }
        const items = frames.push(value);
        serving.pacer?.take(serving.host, items.length);
        for (const item of items) {
          this.dispatch(item);
          if (isDecodeError(item)) return this.end(true);
        }
        serving.stalls.update(this.watch, frames.midFrame);
      }
    } catch {
      // Reset by the peer or closed with its connection: replies have nowhere to go.
      if (!this.ending) this.abort();
    }
  }

  /** One frame (or framing error) to the handler, its reply in line after the earlier ones. */
  private dispatch(input: Uint8Array | DecodeError): void {
    const reply = this.replies.reserve();
    try {
      this.handler(input, this.remote, reply);
    } catch (error) {
      this.serving.logger.warn(
        `request handler threw: ${error instanceof Error ? error.message : String(error)}`,
      );
      reply(null);
    }
  }

  /** Stops reading and closes the stream once every reply so far is written. */
  private end(stopReading: boolean): void {
    this.ending = true;
    this.serving.stalls.forget(this.watch);
    if (stopReading) this.reader.cancel().catch(() => {});
    this.replies.end();
  }

  private onStall(): void {
    if (this.ending || this.broken) return;
    this.dispatch(stalled(this.serving.stallTimeoutMs));
    this.end(true);
  }

  private abort(): void {
    if (this.broken) return;
    this.broken = true;
    this.replies.break();
    this.serving.stalls.forget(this.watch);
    this.serving.teardown.defer(() => {
      if (!this.stream.closed) this.stream.cancel(new Error('stream dropped'));
    });
  }
}

function stalled(stallTimeoutMs: number): DecodeError {
  return {
    kind: 'decode_error',
    code: ErrorCode.INVALID_MESSAGE,
    reason: `frame stalled for ${stallTimeoutMs} ms`,
  };
}
