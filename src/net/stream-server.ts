import type { QUICStream } from '@matrixai/quic';
import type Logger from '@matrixai/logger';
import { ErrorCode } from './messages.js';
import { isDecodeError, type DecodeError } from './frame-codec.js';
import { FrameReader } from './frame-reader.js';
import type { RemotePeer, RequestHandler } from './transport.js';

interface Slot {
  /** undefined while the handler has not replied; null when it chose to send nothing. */
  frame: Uint8Array | null | undefined;
}

/**
 * Serves one incoming stream (SPEC §3.1, §3.2): each frame goes to the handler, replies are
 * written in the order the frames came, and the stream stays open for the next frame until the
 * client closes it. A framing error (oversized length, end mid-frame, a frame that stalls past
 * `stallTimeoutMs`) goes to the handler as a DecodeError; once its reply is written the
 * stream is closed. Nothing a peer sends here can throw out of this function.
 */
export function serveStream(
  stream: QUICStream,
  remote: RemotePeer,
  handler: RequestHandler,
  stallTimeoutMs: number,
  logger: Logger,
): void {
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  const frames = new FrameReader();
  const slots: Slot[] = [];
  let stallTimer: NodeJS.Timeout | null = null;
  let ending = false;
  let broken = false;

  const abort = (): void => {
    if (broken) return;
    broken = true;
    clearStall();
    if (!stream.closed) {
      try {
        stream.cancel(new Error('stream dropped'));
      } catch {
        // Already gone with its connection.
      }
    }
  };

  // Replies ready in one turn leave in one write (pipelined clients, SPEC §3.1), in order.
  let flushQueued = false;
  const flush = (): void => {
    flushQueued = false;
    const ready: Uint8Array[] = [];
    let bytes = 0;
    while (!broken && slots.length > 0) {
      const frame = slots[0]!.frame;
      if (frame === undefined) break;
      slots.shift();
      if (frame !== null) {
        ready.push(frame);
        bytes += frame.length;
      }
    }
    if (ready.length > 0 && !broken) writer.write(joined(ready, bytes)).catch(abort);
    if (ending && slots.length === 0 && !broken && !closing) {
      closing = true;
      writer.close().catch(abort);
    }
  };
  let closing = false;
  const queueFlush = (): void => {
    if (flushQueued) return;
    flushQueued = true;
    queueMicrotask(flush);
  };

  const dispatch = (input: Uint8Array | DecodeError): void => {
    const slot: Slot = { frame: undefined };
    slots.push(slot);
    const reply = (frame: Uint8Array | null): void => {
      if (slot.frame !== undefined) return;
      slot.frame = frame;
      queueFlush();
    };
    try {
      handler(input, remote, reply);
    } catch (error) {
      logger.warn(
        `request handler threw: ${error instanceof Error ? error.message : String(error)}`,
      );
      reply(null);
    }
  };

  /** Stops reading and closes the stream once every reply so far is written. */
  const end = (stopReading: boolean): void => {
    ending = true;
    clearStall();
    if (stopReading) reader.cancel().catch(() => {});
    flush();
  };

  const clearStall = (): void => {
    if (stallTimer !== null) clearTimeout(stallTimer);
    stallTimer = null;
  };

  // The clock runs from a frame's first byte to its last, so a peer trickling bytes cannot
  // hold the stream open past the timeout either.
  const watchStall = (): void => {
    if (!frames.midFrame) return clearStall();
    if (stallTimer !== null) return;
    stallTimer = setTimeout(() => {
      stallTimer = null;
      if (ending || broken) return;
      dispatch(stalled(stallTimeoutMs));
      end(true);
    }, stallTimeoutMs);
  };

  const readLoop = async (): Promise<void> => {
    try {
      while (!ending) {
        const { value, done } = await reader.read();
        if (ending || broken) return;
        if (done) {
          const error = frames.end();
          if (error !== null) dispatch(error);
          return end(false);
        }
        for (const item of frames.push(value)) {
          dispatch(item);
          if (isDecodeError(item)) return end(true);
        }
        watchStall();
      }
    } catch {
      // Reset by the peer or closed with its connection: replies have nowhere to go.
      if (!ending) abort();
    }
  };
  void readLoop();
}

function joined(chunks: Uint8Array[], bytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function stalled(stallTimeoutMs: number): DecodeError {
  return {
    kind: 'decode_error',
    code: ErrorCode.INVALID_MESSAGE,
    reason: `frame stalled for ${stallTimeoutMs} ms`,
  };
}
