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
  const reader = stream.readable.getReader();
  const frames = new FrameReader();
  let ending = false;
  let broken = false;

  const abort = (): void => {
    if (broken) return;
    broken = true;
    replies.break();
    serving.stalls.forget(watch);
    serving.teardown.defer(() => {
      if (!stream.closed) stream.cancel(new Error('stream dropped'));
    });
  };
  const replies = new OrderedReplies(stream.writable.getWriter(), abort);

  const dispatch = (input: Uint8Array | DecodeError): void => {
    const reply = replies.reserve();
    try {
      handler(input, remote, reply);
    } catch (error) {
      serving.logger.warn(
        `request handler threw: ${error instanceof Error ? error.message : String(error)}`,
      );
      reply(null);
    }
  };

  /** Stops reading and closes the stream once every reply so far is written. */
  const end = (stopReading: boolean): void => {
    ending = true;
    serving.stalls.forget(watch);
    if (stopReading) reader.cancel().catch(() => {});
    replies.end();
  };

  // The clock runs from a frame's first byte to its last, so a peer trickling bytes cannot
  // hold the stream open past the timeout either.
  const watch: StallWatch = {
    midFrameSinceMs: null,
    onStall: () => {
      if (ending || broken) return;
      dispatch(stalled(serving.stallTimeoutMs));
      end(true);
    },
  };

  const readLoop = async (): Promise<void> => {
    try {
      while (!ending) {
        if (serving.pacer?.exhausted(serving.host) === true) {
          await serving.pacer.nextWindow();
          continue;
        }
        const { value, done } = await reader.read();
        if (ending || broken) return;
        if (done) {
          const error = frames.end();
          if (error !== null) dispatch(error);
          return end(false);
        }
        const items = frames.push(value);
        serving.pacer?.take(serving.host, items.length);
        for (const item of items) {
          dispatch(item);
          if (isDecodeError(item)) return end(true);
        }
        serving.stalls.update(watch, frames.midFrame);
      }
    } catch {
      // Reset by the peer or closed with its connection: replies have nowhere to go.
      if (!ending) abort();
    }
  };
  void readLoop();
}

function stalled(stallTimeoutMs: number): DecodeError {
  return {
    kind: 'decode_error',
    code: ErrorCode.INVALID_MESSAGE,
    reason: `frame stalled for ${stallTimeoutMs} ms`,
  };
}
