/**
 * Work over a list, at most `limit` items at a time, in order: the pacing of bootstrap's seed
 * pings, rejoin's waves of pings, refresh lookups and publish's stores. `fanOutStep` decides
 * which items start now and when all are back; `runFanOut` is the driver's loop around it.
 */
export interface FanOut {
  readonly total: number;
  readonly limit: number;
  /** The next item to start. */
  next: number;
  running: number;
  finished: boolean;
}

export type FanOutInput = 'start' | 'settled';

export interface FanOutOutput {
  /** Indexes of the items to start now, in order. */
  readonly start: readonly number[];
  /** True once, when every item has started and settled. */
  readonly done: boolean;
}

export function openFanOut(total: number, limit: number): FanOut {
  return { total, limit, next: 0, running: 0, finished: false };
}

export function fanOutStep(fanOut: FanOut, input: FanOutInput): FanOutOutput {
  if (input === 'settled') fanOut.running--;
  const start: number[] = [];
  while (fanOut.running < fanOut.limit && fanOut.next < fanOut.total) {
    fanOut.running++;
    start.push(fanOut.next++);
  }
  const done = !fanOut.finished && fanOut.running === 0 && fanOut.next >= fanOut.total;
  if (done) fanOut.finished = true;
  return { start, done };
}

/**
 * Starts `launch(i, settled)` for each item as `fanOutStep` decides, then calls `done` once.
 * An item may settle synchronously (a transport refusing a bad address at once): what that
 * frees is queued behind the batch being started, so items always start in list order.
 */
export function runFanOut(
  total: number,
  limit: number,
  launch: (index: number, settled: () => void) => void,
  done: () => void,
): void {
  const fanOut = openFanOut(total, limit);
  const queue: number[] = [];
  let starting = false;
  const feed = (input: FanOutInput): void => {
    const output = fanOutStep(fanOut, input);
    queue.push(...output.start);
    if (output.done) done();
    if (starting) return;
    starting = true;
    for (let index = queue.shift(); index !== undefined; index = queue.shift())
      launch(index, () => feed('settled'));
    starting = false;
  };
  feed('start');
}
