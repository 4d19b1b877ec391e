import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Cluster, getJson, waitFor, type Status } from './tesd-process.js';

/**
 * Real processes: a node started before its bootstrap peer (or while that peer was too slow to
 * answer) joins again later instead of staying alone with an empty table (docs/cli.md).
 */
describe('a join that nobody answered', () => {
  const cluster = new Cluster();
  after(() => cluster.cleanup());

  it('is tried again until the bootstrap peer answers', async () => {
    const [early, seed] = [await cluster.node('early'), await cluster.node('seed')];
    // Given a node whose only bootstrap peer is not running yet
    const first = await cluster.start(early, [seed]);
    assert.deepEqual(
      { peers: first.bootstrap?.peers, answered: first.bootstrap?.answered, table: first.peers },
      { peers: 1, answered: 0, table: 0 },
    );
    // when that peer starts
    await cluster.start(seed);
    // then the node's next attempt reaches it, and it says that it tried again.
    const joined = await waitFor('the early node to join on its retry', async () => {
      const status = await getJson<Status>(early.admin, '/status');
      return (status.bootstrap?.answered ?? 0) >= 1 ? status : null;
    });
    assert.ok(joined.peers >= 1, 'the seed is in its table');
    assert.match(early.output, /nobody answered the join: trying again in 5 s/);
  });
});
