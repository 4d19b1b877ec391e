import { z } from 'zod';
import { MAX_NONCE } from '../core/proof-of-work.js';

/** The messages of `tesseras/1` (SPEC §3.3), as zod schemas; the types are inferred from them. */

export const PROTOCOL_VERSION = 1;
export const K = 20; // SPEC §2: bucket size and result count
export const MAX_POINTERS_PER_RESPONSE = 20; // SPEC §3.3: responses never amplify

const bytes = (length: number) =>
  z.custom<Uint8Array>(
    (b) => b instanceof Uint8Array && b.length === length,
    `expected ${length} bytes`,
  );
const uint = (max: number) => z.number().int().min(0).max(max);
const address = z.string().min(3).max(64);

export const nodeInfoSchema = z.object({
  id: bytes(20),
  pk: bytes(32),
  nonce: uint(MAX_NONCE),
  addr: address,
  caps: uint(0xffff),
});

export const pointerSchema = z.object({
  key: bytes(20),
  tessera: bytes(32),
  holders: z.array(z.object({ id: bytes(20), addr: address })).max(16),
  fragments: z.array(z.object({ idx: uint(0xffff_ffff), holder: bytes(20) })).max(64),
  publisher: bytes(32),
  seq: uint(MAX_NONCE),
  expires: uint(MAX_NONCE),
  sig: bytes(64),
});

export const requestSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('ping') }),
  z.object({ op: z.literal('find_node'), target: bytes(20) }),
  z.object({ op: z.literal('find_value'), key: bytes(20) }),
  z.object({ op: z.literal('store'), pointer: pointerSchema }),
  // Reachability (docs/protocol.md): have a third node dial me; dial someone; the dial itself.
  z.object({ op: z.literal('dial_back'), token: bytes(16) }),
  z.object({ op: z.literal('dial'), addr: address, token: bytes(16) }),
  z.object({ op: z.literal('probe'), token: bytes(16) }),
]);

export const responseSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('pong'), observed: address }),
  z.object({ op: z.literal('nodes'), nodes: z.array(nodeInfoSchema).max(K) }),
  z.object({
    op: z.literal('value'),
    pointers: z.array(pointerSchema).max(MAX_POINTERS_PER_RESPONSE),
    nodes: z.array(nodeInfoSchema).max(K),
    more: z.boolean(),
  }),
  z.object({ op: z.literal('stored'), ok: z.boolean(), reason: z.string().max(200).optional() }),
  z.object({ op: z.literal('dialing'), observed: address, asked: z.boolean() }),
  z.object({ op: z.literal('will_dial'), ok: z.boolean() }),
  z.object({ op: z.literal('probed') }),
]);

export const errorBodySchema = z.object({ code: uint(0xffff), reason: z.string().max(500) });

export const bodySchema = z.union([
  z.object({ req: requestSchema }).strict(),
  z.object({ res: responseSchema }).strict(),
  z.object({ err: errorBodySchema }).strict(),
]);

export const wireMessageSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  rid: uint(0xffff_ffff),
  from: nodeInfoSchema,
  body: bodySchema,
});

export type WireNodeInfo = z.infer<typeof nodeInfoSchema>;
export type WirePointer = z.infer<typeof pointerSchema>;
export type Request = z.infer<typeof requestSchema>;
export type Response = z.infer<typeof responseSchema>;
export type ErrorBody = z.infer<typeof errorBodySchema>;
export type Body = z.infer<typeof bodySchema>;
export type WireMessage = z.infer<typeof wireMessageSchema>;
export type RequestOp = Request['op'];

/** The requests of SPEC §3.3, answered by the pure handlers (the reachability ones are the driver's). */
export type CoreRequest = Exclude<Request, { op: 'dial_back' | 'dial' | 'probe' }>;
export type ReachabilityRequest = Extract<Request, { op: 'dial_back' | 'dial' | 'probe' }>;

export const REQUEST_OPS: readonly RequestOp[] = [
  'ping',
  'find_node',
  'find_value',
  'store',
  'dial_back',
  'dial',
  'probe',
];

/** Error codes of SPEC §3.4. */
export const ErrorCode = {
  TOO_LARGE: 1,
  INVALID_MESSAGE: 2,
  UNSUPPORTED: 3,
  OVERLOADED: 4,
  INVALID_IDENTITY: 5,
  INVALID_POINTER: 6,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
