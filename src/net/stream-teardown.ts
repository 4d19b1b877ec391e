/**
 * Stream teardowns run a few per event-loop turn. Cancelling one costs the QUIC library up to
 * a couple of milliseconds of CPU (its locks, events and errors), and a peer can end a hundred
 * streams with one datagram (resetting them, or closing its connection): done at once, that
 * stops the loop for every other peer (issue 11: no loop stall over 50 ms). A stream whose peer
 * ended it loses nothing by being reset a few turns later.
 */
export class TeardownQueue {
  private readonly pending: Array<() => void> = [];
  private scheduled = false;

  constructor(
    private readonly perTurn = DEFAULT_TEARDOWNS_PER_TURN,
    private readonly nextTurn: (run: () => void) => void = (run) => void setImmediate(run),
  ) {}

  /** Teardowns waiting for a turn (tests, metrics). */
  get size(): number {
    return this.pending.length;
  }

  /** Runs `teardown` in a later turn, at most `perTurn` of them per turn. */
  defer(teardown: () => void): void {
    this.pending.push(teardown);
    if (!this.scheduled) {
      this.scheduled = true;
      this.nextTurn(() => this.run());
    }
  }

  private run(): void {
    this.scheduled = false;
    for (const teardown of this.pending.splice(0, this.perTurn)) {
      try {
        teardown();
      } catch {
        // A teardown concerns a stream already going away; nothing is left to do for it.
      }
    }
    if (this.pending.length > 0) {
      this.scheduled = true;
      this.nextTurn(() => this.run());
    }
  }
}

/** Four streams' teardown is a few milliseconds of work at most. */
const DEFAULT_TEARDOWNS_PER_TURN = 4;
