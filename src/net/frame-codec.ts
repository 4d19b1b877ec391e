import { Encoder } from '@msgpack/msgpack';
import { ErrorCode, PROTOCOL_VERSION, REQUEST_OPS, type WireMessage } from './messages.js';
import { decodeMsgpack, MsgpackError, NestingError, type DecodeLimits } from './wire-decode.js';
import { encodeMessageFrame } from './wire-encode.js';
import { lastValidationFailure, validateWireMessage } from './wire-validate.js';

/** SPEC §3.2: `[u32 big-endian length N][N bytes of MessagePack]`, N <= 64 KiB. */
export const MAX_FRAME_BYTES = 65_536; // protocol limit, SPEC §3.2
export const LENGTH_PREFIX_BYTES = 4;
/** Deeper than any valid message (a pointer's fragment is at depth 5); stops nesting bombs. */
export const MAX_NESTING_DEPTH = 8;

// The library's defaults are 4 GiB; nothing valid comes near these within a 64 KiB frame.
export const DECODE_LIMITS: DecodeLimits = {
  maxStrBytes: 1_024,
  maxBinBytes: 1_024,
  maxArrayLength: 1_024,
  maxMapLength: 32,
  maxDepth: MAX_NESTING_DEPTH,
};
const encoder = new Encoder({ ignoreUndefined: true });

/** A frame that could not be decoded: an operating error, answered with `code` and dropped. */
export interface DecodeError {
  readonly kind: 'decode_error';
  readonly code: ErrorCode;
  readonly reason: string;
  /** The request id, when it could be read, so the error answer can carry it. */
  readonly rid?: number;
}

export function isDecodeError(value: unknown): value is DecodeError {
  return (value as DecodeError | null)?.kind === 'decode_error';
}

function decodeError(code: ErrorCode, reason: string, rid?: number): DecodeError {
  return rid === undefined
    ? { kind: 'decode_error', code, reason }
    : { kind: 'decode_error', code, reason, rid };
}

/** Encodes a message as one frame, length prefix included. Throws if it exceeds the limit. */
export function encodeFrame(message: WireMessage): Uint8Array {
  const frame = encodeMessageFrame(message, MAX_FRAME_BYTES);
  if (typeof frame === 'number') {
    throw new RangeError(`frame of ${frame} bytes exceeds ${MAX_FRAME_BYTES}`);
  }
  return frame;
}

/** Size of the MessagePack body a message would have, for fitting pointers into a frame. */
export function encodedSize(value: unknown): number {
  return encoder.encode(value).length;
}

/** Reads the declared body length of a frame header; checked before anything is allocated. */
export function readFrameLength(header: Uint8Array): number | DecodeError {
  // Read by hand, not through a DataView: this runs for every frame.
  const length = header[0]! * 0x100_0000 + ((header[1]! << 16) | (header[2]! << 8) | header[3]!);
  if (length > MAX_FRAME_BYTES) {
    return decodeError(ErrorCode.TOO_LARGE, `frame length ${length} exceeds ${MAX_FRAME_BYTES}`);
  }
  return length;
}

/** Decodes exactly one whole frame (prefix included): truncation and trailing bytes are errors. */
export function decodeFrame(frame: Uint8Array): WireMessage | DecodeError {
  if (frame.length < LENGTH_PREFIX_BYTES)
    return decodeError(ErrorCode.INVALID_MESSAGE, 'truncated length prefix');
  const length = readFrameLength(frame);
  if (typeof length !== 'number') return length;
  const actual = frame.length - LENGTH_PREFIX_BYTES;
  if (actual < length)
    return decodeError(ErrorCode.INVALID_MESSAGE, `truncated frame: ${actual} of ${length} bytes`);
  if (actual > length)
    return decodeError(ErrorCode.INVALID_MESSAGE, `${actual - length} trailing bytes after frame`);
  return decodeBody(frame, LENGTH_PREFIX_BYTES);
}

/** Decodes the MessagePack body that fills `bytes` from `offset` (0: all of it). */
export function decodeBody(bytes: Uint8Array, offset = 0): WireMessage | DecodeError {
  let value: unknown;
  try {
    value = decodeMsgpack(bytes, DECODE_LIMITS, offset);
  } catch (error) {
    if (error instanceof NestingError)
      return decodeError(ErrorCode.INVALID_MESSAGE, `nesting deeper than ${MAX_NESTING_DEPTH}`);
    if (!(error instanceof MsgpackError)) throw error;
    return decodeError(ErrorCode.INVALID_MESSAGE, `invalid MessagePack: ${error.message}`);
  }
  return validate(value);
}

function validate(value: unknown): WireMessage | DecodeError {
  const valid = validateWireMessage(value);
  if (valid !== undefined) return valid;
  const raw = value as { v?: unknown; rid?: unknown; body?: { req?: { op?: unknown } } } | null;
  const rid =
    typeof raw?.rid === 'number' && Number.isInteger(raw.rid) && raw.rid >= 0 ? raw.rid : undefined;
  if (raw?.v !== undefined && raw.v !== PROTOCOL_VERSION) {
    return decodeError(
      ErrorCode.UNSUPPORTED,
      `unsupported version ${JSON.stringify(raw.v)?.slice(0, 32) ?? '?'}`,
      rid,
    );
  }
  const op = raw?.body?.req?.op;
  if (typeof op === 'string' && !(REQUEST_OPS as readonly string[]).includes(op)) {
    return decodeError(ErrorCode.UNSUPPORTED, `unsupported op ${op.slice(0, 32)}`, rid);
  }
  const { path, message } = lastValidationFailure();
  return decodeError(ErrorCode.INVALID_MESSAGE, `invalid message at ${path}: ${message}`, rid);
}
