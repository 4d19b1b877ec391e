/**
 * The write side of one served stream: replies leave in the order their requests came (SPEC
 * §3.1), those ready in one turn in one write (pipelined clients), and once the stream is
 * ending it is closed after the last reply. A failed write or close calls `onBroken`.
 */
export class OrderedReplies {
  private readonly slots: Slot[] = [];
  private flushQueued = false;
  private ending = false;
  private closing = false;
  private broken = false;

  constructor(
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
    private readonly onBroken: () => void,
  ) {}

  /** Reserves the next place in line; the returned function fills it (once; null: nothing). */
  reserve(): (frame: Uint8Array | null) => void {
    const slot: Slot = { frame: undefined };
    this.slots.push(slot);
    return (frame) => {
      if (slot.frame !== undefined) return;
      slot.frame = frame;
      this.queueFlush();
    };
  }

  /** No more requests: close the stream once every reply reserved so far is written. */
  end(): void {
    this.ending = true;
    this.flush();
  }

  /** The stream is gone: nothing more is written. */
  break(): void {
    this.broken = true;
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.broken) return;
    const ready: Uint8Array[] = [];
    let bytes = 0;
    while (this.slots.length > 0) {
      const frame = this.slots[0]!.frame;
      if (frame === undefined) break;
      this.slots.shift();
      if (frame !== null) {
        ready.push(frame);
        bytes += frame.length;
      }
    }
    if (ready.length > 0)
      this.writer
        .write(ready.length === 1 ? ready[0]! : Buffer.concat(ready, bytes))
        .catch(this.onBroken);
    if (this.ending && this.slots.length === 0 && !this.closing) {
      this.closing = true;
      this.writer.close().catch(this.onBroken);
    }
  }
}

interface Slot {
  /** undefined while the handler has not replied; null when it chose to send nothing. */
  frame: Uint8Array | null | undefined;
}
