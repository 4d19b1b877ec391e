/**
 * The node under attack for bench/hostile.ts, in its own process so that its RSS and CPU are
 * its own: a DhtNode on real QUIC with the SQLite journal, strict IP diversity (loopback is not
 * exempt), metrics fed from its events, and a configurable request quota. Prints one JSON line
 * `{ addr, pid }` when it serves; on stdin's end it stops (flushing the counted refusals) and
 * prints `{ rejected_metric, refusals_sent, last_seq }`. The line `reset` restarts its event-loop
 * delay histogram, `loop` prints `{ loop_delay_max_ms, loop_delay_p99_ms, incoming }`.
 */
import { mkdtempSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entropySeededRandom } from '../src/cli/entropy.js';
import { generateIdentity } from '../src/cli/identity-file.js';
import { NodeMetrics } from '../src/cli/metrics.js';
import { makeConfig } from '../src/dht/config.js';
import { DhtNode } from '../src/dht/dht-node.js';
import { ObservedStore } from '../src/events/observed-event-store.js';
import { SqliteEventStore } from '../src/events/sqlite-event-store.js';
import { decodeFrame, isDecodeError } from '../src/net/frame-codec.js';
import { ErrorCode } from '../src/net/messages.js';
import { QuicTransport } from '../src/net/quic-transport.js';
import type { Transport } from '../src/net/transport.js';
import { realTimers } from '../src/net/real-timers.js';

const quota = Number(process.argv[2] ?? 200);
const dir = process.argv[3] ?? mkdtempSync(join(tmpdir(), 'tesd-hostile-'));
const { key, identity } = generateIdentity(8);
// Strict IP diversity: loopback hosts get the per-host connection ceiling and read budget.
const transport = await QuicTransport.create({
  bind: '127.0.0.1:0',
  key,
  logLevel: 'error',
  loopbackExempt: false,
  readFramesPerHostPerSecond: 2 * quota,
});
// The event loop's longest stall, reset and read between scenarios (stdin lines).
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
const sqlite = SqliteEventStore.open(dir);
// The refusals the node actually sent (error 4 answers), to compare with what it recorded.
let refusalsSent = 0;
const counting: Transport = {
  localAddr: transport.localAddr,
  listen: (handler) =>
    transport.listen((input, remote, reply) =>
      handler(input, remote, (frame) => {
        if (frame !== null) {
          const message = decodeFrame(frame);
          if (!isDecodeError(message) && 'err' in message.body)
            if (message.body.err.code === ErrorCode.OVERLOADED) refusalsSent++;
        }
        reply(frame);
      }),
    ),
  request: (addr, frame, timeoutMs, done) => transport.request(addr, frame, timeoutMs, done),
  disconnect: (addr) => transport.disconnect(addr),
  close: () => transport.close(),
};
const store = new ObservedStore(sqlite);
const metrics = new NodeMetrics();
store.onAppend((event) => metrics.observe(event));
const node = new DhtNode({
  key,
  identity,
  transport: counting,
  timers: realTimers,
  random: entropySeededRandom(),
  store,
  config: makeConfig({ strictIpDiversity: true, requestsPerSecondPerSource: quota }),
});
metrics.attach(node);
node.start({ maintenance: false });
console.log(JSON.stringify({ addr: transport.localAddr, pid: process.pid, dir }));

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'reset') loopDelay.reset();
  if (line === 'loop') {
    console.log(
      JSON.stringify({
        loop_delay_max_ms: Math.round(loopDelay.max / 1e6),
        loop_delay_p99_ms: Math.round(loopDelay.percentile(99) / 1e6),
        incoming: transport.stats().incoming,
      }),
    );
  }
});
process.stdin.on('end', () => {
  void (async () => {
    await transport.close();
    node.stop('bench over');
    const text = (await metrics.text()).body;
    const rejected = /^tesd_peers_rejected_total\{reason="rate_limited"\} (\d+)/m.exec(text);
    console.log(
      JSON.stringify({
        rejected_metric: Number(rejected?.[1] ?? 0),
        refusals_sent: refusalsSent,
        last_seq: sqlite.lastSeq,
      }),
    );
    sqlite.close();
    process.exit(0);
  })();
});
