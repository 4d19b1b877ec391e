import { ErrorCode } from './messages.js';
import { LENGTH_PREFIX_BYTES, readFrameLength, type DecodeError } from './frame-codec.js';

/**
 * Incremental framing of a byte stream into SPEC §3.2 frames. Push chunks as they arrive and
 * get back whole frames, length prefix included (ready for `decodeFrame`), or the DecodeError
 * that ends the stream: a declared length over the limit, read from the 4-byte header before
 * anything is allocated (code 1), or a stream that ended mid-frame (code 2). Pure: no I/O.
 */
export class FrameReader {
  private readonly header = new Uint8Array(LENGTH_PREFIX_BYTES);
  private headerFill = 0;
  private frame: Uint8Array | null = null;
  private frameFill = 0;
  private failed = false;

  /** True while part of a frame has arrived and the rest has not (a stall can be timed). */
  get midFrame(): boolean {
    return this.headerFill > 0;
  }

  /**
   * Frames completed by this chunk, in order. After an error (always the last item) the
   * reader is spent and ignores further input.
   */
  push(chunk: Uint8Array): Array<Uint8Array | DecodeError> {
    const out: Array<Uint8Array | DecodeError> = [];
    let offset = 0;
    while (!this.failed && offset < chunk.length) {
      if (this.frame === null) {
        const take = Math.min(LENGTH_PREFIX_BYTES - this.headerFill, chunk.length - offset);
        this.header.set(chunk.subarray(offset, offset + take), this.headerFill);
        this.headerFill += take;
        offset += take;
        if (this.headerFill < LENGTH_PREFIX_BYTES) break;
        const length = readFrameLength(this.header);
        if (typeof length !== 'number') {
          this.failed = true;
          out.push(length);
          break;
        }
        this.frame = new Uint8Array(LENGTH_PREFIX_BYTES + length);
        this.frame.set(this.header);
        this.frameFill = LENGTH_PREFIX_BYTES;
      }
      const take = Math.min(this.frame.length - this.frameFill, chunk.length - offset);
      this.frame.set(chunk.subarray(offset, offset + take), this.frameFill);
      this.frameFill += take;
      offset += take;
      if (this.frameFill === this.frame.length) {
        out.push(this.frame);
        this.frame = null;
        this.headerFill = 0;
      }
    }
    return out;
  }

  /** The stream ended: a DecodeError if it ended mid-frame, null if on a frame boundary. */
  end(): DecodeError | null {
    if (this.failed || this.headerFill === 0) return null;
    this.failed = true;
    const got = this.frame === null ? this.headerFill : this.frameFill;
    const want = this.frame === null ? LENGTH_PREFIX_BYTES : this.frame.length;
    return {
      kind: 'decode_error',
      code: ErrorCode.INVALID_MESSAGE,
      reason: `stream ended mid-frame: ${got} of ${want} bytes`,
    };
  }
}
