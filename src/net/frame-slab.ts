/**
 * Memory for outgoing frames, handed out from shared slabs. Every frame used to be its own
 * ArrayBuffer: a malloc, a tracked external allocation and a sweep each, 5% of a simulated
 * RPC's CPU (two frames per RPC). A frame here is a view into a 64 KB slab, so it allocates no
 * memory outside the JS heap. A slab is never reused: once full, the next frame starts a new
 * one, and the old one goes when no frame of it is held. Nothing decoded from a frame keeps a
 * view of it (the decoder copies the bytes it returns), so a slab is held only while its
 * frames are in flight. Frames over 8 KB get their own buffer, as before.
 */
const SLAB_BYTES = 64 * 1024;
const MAX_SLAB_FRAME = 8 * 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A new frame holding a copy of `bytes[0, length)`. */
export function frameCopy(bytes: Uint8Array, length: number): Uint8Array {
  if (length > MAX_SLAB_FRAME) return bytes.slice(0, length);
  if (used + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const frame = new Uint8Array(slab, used, length);
  // Kept aligned to 8 bytes, as an ArrayBuffer of its own would be.
  used += (length + 7) & ~7;
  frame.set(length === bytes.length ? bytes : bytes.subarray(0, length));
  return frame;
}
