import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulation } from '../../src/sim/simulation.js';

/**
 * Every address the node advertises is in its log (issue 10 item 2): a node bound to an
 * unspecified address advertises the best-supported observation before peers agree, and
 * publishes it as a holder, so that choice is recorded too.
 */

function unspecifiedNode() {
  const sim = createSimulation({ seed: 1015 });
  const simNode = sim.addNode({ addr: '0.0.0.0:4433' });
  return { sim, simNode, node: simNode.node };
}

function addressEvents(store: ReturnType<typeof unspecifiedNode>['simNode']['store']) {
  return [...store.read({ afterSeq: 0 })]
    .filter((e) => e.type === 'advertised_address_changed')
    .map((e) => e.data);
}

test('given a node bound to 0.0.0.0, when one peer host reports its address, then the address it now advertises is recorded with one voter', () => {
  const { simNode, node } = unspecifiedNode();
  node.observedAs('198.18.1.1:4433', '198.18.2.1:4433');
  assert.equal(node.advertisedAddr, '198.18.1.1:4433');
  assert.deepEqual(addressEvents(simNode.store), [
    { addr: '198.18.1.1:4433', previous: '0.0.0.0:4433', observed: '198.18.1.1:4433', voters: 1 },
  ]);
});

test('given a node bound to 0.0.0.0 advertising a leading observation, when a second host agrees, then the agreement is recorded and a repeated vote records nothing', () => {
  const { simNode, node } = unspecifiedNode();
  node.observedAs('198.18.1.1:4433', '198.18.2.1:4433');
  node.observedAs('198.18.1.1:4433', '198.18.3.1:4433');
  node.observedAs('198.18.1.1:4433', '198.18.2.1:4433');
  assert.deepEqual(addressEvents(simNode.store).slice(1), [
    {
      addr: '198.18.1.1:4433',
      previous: '198.18.1.1:4433',
      observed: '198.18.1.1:4433',
      voters: 2,
    },
  ]);
});

test('given a node bound to a specific address, when one peer host reports another, then nothing changes and nothing is recorded', () => {
  const sim = createSimulation({ seed: 1015 });
  const simNode = sim.addNode({ addr: '127.0.0.5:4433' });
  simNode.node.observedAs('198.18.1.1:4433', '198.18.2.1:4433');
  assert.equal(simNode.node.advertisedAddr, '127.0.0.5:4433');
  assert.deepEqual(addressEvents(simNode.store), []);
});
