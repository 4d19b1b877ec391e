import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { answered, ask, echo, ridFrame, transportsWithFaults } from './quic-fixtures.js';

/**
 * A dial whose handshake goes unanswered backs off as QUIC does (Initials resent after ~1 s,
 * then 2 s, ...). Once a request waiting on it has timed out, the dial is abandoned, so a
 * path that opens again is tried by the next request at once instead of at the next resend.
 */

const { transports, faults } = transportsWithFaults();

describe('QuicTransport: a dial that outlived a request timeout', () => {
  it('is abandoned, and once the path is open again the next request dials afresh and is answered within 500 ms', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen(echo);
    // Given b's answers to a vanish (a one-way firewall) while a dials it
    faults.drop(b, a);
    const blocked = await ask(a, b.localAddr, ridFrame(1), 1_500);
    // when the firewall is lifted and a asks again
    faults.clear();
    const startedAt = performance.now();
    const lifted = await ask(a, b.localAddr, ridFrame(2), 500);
    // then the first request timed out and the second was answered on a fresh connection.
    assert.equal(blocked.ok || blocked.failure, 'timeout');
    assert.deepEqual(answered(lifted), ridFrame(2));
    assert.ok(performance.now() - startedAt < 500);
  });

  it('hands the requests still waiting on it to a fresh dial, which answers them once the path is open', async () => {
    const a = await transports.start();
    const b = await transports.start();
    b.listen(echo);
    faults.drop(b, a);
    // Given a request waiting 1 s on a dial b does not answer
    const startedAt = performance.now();
    const first = ask(a, b.localAddr, ridFrame(1), 3_000);
    await new Promise((done) => setTimeout(done, 1_000));
    // when a second request times out on the same dial, and then the path opens
    const second = await ask(a, b.localAddr, ridFrame(2), 200);
    faults.clear();
    // then the first is answered long before its 3 s timeout, by a dial started afresh.
    assert.equal(second.ok || second.failure, 'timeout');
    assert.deepEqual(answered(await first), ridFrame(1));
    assert.ok(performance.now() - startedAt < 2_000);
  });
});
