import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  adminToken,
  Cluster,
  getJson,
  runTesd,
  waitFor,
  type Status,
  type TesdNode,
} from './tesd-process.js';

/**
 * Documented behaviour of a real node's HTTP side (docs/cli.md "Admin API", SPEC §6): the
 * admin API's guards and error answers, /metrics names and counters, `tesd find`, and
 * `--bootstrap ID@host:port` checking the answering node's ID.
 */

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** One HTTP request with exactly these headers (fetch would set Host itself). */
function http(
  address: string,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  },
): Promise<Answer> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    address.slice(address.lastIndexOf(':') + 1),
  ];
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
        timeout: 15_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? '',
            body,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${options.path}: no answer in 15 s`)));
    req.on('error', (error) => {
      // The server may answer 413 and close before the whole body is sent.
      if (
        (error as NodeJS.ErrnoException).code === 'EPIPE' ||
        (error as NodeJS.ErrnoException).code === 'ECONNRESET'
      )
        return;
      reject(error);
    });
    req.end(options.body);
  });
}

/** Asserts a JSON error answer: the status, a JSON content type and an `error` matching. */
function assertError(answer: Answer, status: number, error: RegExp): void {
  assert.equal(answer.status, status, answer.body);
  assert.match(answer.contentType, /^application\/json/);
  assert.match((JSON.parse(answer.body) as { error: string }).error, error);
}

/** The value of one sample in Prometheus text, 0 if absent. */
function sample(metrics: string, name: string, labels = ''): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('a real node’s admin API, metrics and tesd find', () => {
  const cluster = new Cluster();
  let a: TesdNode, b: TesdNode;
  let statusA: Status;
  const tessera = randomBytes(32).toString('hex');

  before(async () => {
    [a, b] = [await cluster.node('a'), await cluster.node('b')];
    statusA = await cluster.start(a);
    await cluster.start(b, [], ['--bootstrap', `${statusA.id}@${a.bind}`]);
  });
  after(() => cluster.cleanup());

  it('answers only requests whose Host names the admin address (403 otherwise)', async () => {
    const port = a.admin.split(':')[1]!;
    const ok = await http(a.admin, { path: '/status', headers: { host: a.admin } });
    assert.equal(ok.status, 200);
    assert.match(ok.contentType, /^application\/json/);
    assert.equal((JSON.parse(ok.body) as Status).id, statusA.id);
    const local = await http(a.admin, { path: '/status', headers: { host: `localhost:${port}` } });
    assert.equal(local.status, 200, 'localhost names a loopback admin address too');
    for (const host of [`evil.example:${port}`, 'localhost', `127.0.0.1:${Number(port) + 1}`])
      assertError(
        await http(a.admin, { path: '/status', headers: { host } }),
        403,
        /is not this admin address/,
      );
    const token = adminToken(a);
    const publish = await http(a.admin, {
      method: 'POST',
      path: '/publish',
      headers: {
        host: 'rebind.example',
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ tessera }),
    });
    assertError(publish, 403, /is not this admin address/);
  });

  it('refuses writes without the bearer token (401), without JSON (415), too large (413), malformed (400)', async () => {
    const host = a.admin;
    const body = JSON.stringify({ tessera });
    const post = (headers: Record<string, string>, payload: string | Buffer = body) =>
      http(a.admin, {
        method: 'POST',
        path: '/publish',
        headers: { host, ...headers },
        body: payload,
      });
    const json = { 'content-type': 'application/json' };
    const bearer = { authorization: `Bearer ${adminToken(a)}` };
    assertError(await post(json), 401, /bearer token/);
    assertError(
      await post({ ...json, authorization: `Bearer ${'0'.repeat(64)}` }),
      401,
      /bearer token/,
    );
    assertError(await post({ ...json, authorization: adminToken(a) }), 401, /bearer token/);
    assertError(await post({ ...bearer, 'content-type': 'text/plain' }), 415, /application\/json/);
    assertError(await post(bearer), 415, /application\/json/);
    assertError(
      await post({ ...bearer, ...json }, Buffer.alloc(17 * 1024, 0x20)),
      413,
      /body over 16384 bytes/,
    );
    assertError(await post({ ...bearer, ...json }, '{"tessera": '), 400, /not valid JSON/);
    assertError(
      await post({ ...bearer, ...json }, JSON.stringify({ tessera: 'xyz' })),
      400,
      /tessera: expected 64 hex digits/,
    );
    assertError(await http(a.admin, { path: '/publish', headers: { host } }), 405, /use POST/);
    assertError(
      await http(a.admin, { path: '/nowhere', headers: { host } }),
      404,
      /no such endpoint/,
    );
    assertError(
      await http(a.admin, { path: '/find/abc', headers: { host } }),
      400,
      /40-hex-digit key/,
    );
    const peers = await getJson<{ peers: unknown[] }>(a.admin, '/peers');
    assert.equal(peers.peers.length, 1, 'nothing was published or changed by the refused writes');
    assert.equal((await getJson<Status>(a.admin, '/status')).pointers, 0);
  });

  it('publishes with the token and JSON, and `tesd find` finds it from the other node', async () => {
    const published = await http(a.admin, {
      method: 'POST',
      path: '/publish',
      headers: {
        host: a.admin,
        authorization: `Bearer ${adminToken(a)}`,
        'content-type': 'application/json; charset=utf-8',
      },
      body: JSON.stringify({ tessera }),
    });
    assert.equal(published.status, 200, published.body);
    const answer = JSON.parse(published.body) as { ok: boolean; key: string; stored_at: number };
    assert.equal(answer.ok, true);
    assert.ok(answer.stored_at >= 1);

    const text = await runTesd(['find', '--admin', b.admin, tessera]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^key ${answer.key}: 1 pointer\\(s\\) \\(lookup \\d+: `));
    assert.match(text.stdout, new RegExp(`\\n  tessera ${tessera} publisher `));
    assert.match(text.stdout, new RegExp(`\\n    holder ${statusA.id}@${a.bind}\\n`));
    // --steps: the engine's step values, one line each, then the answer.
    const stepped = await runTesd(['find', '--admin', b.admin, tessera, '--steps']);
    assert.equal(stepped.code, 0, stepped.stderr);
    assert.match(stepped.stdout, /^lookup (\d+) started: value [0-9a-f]{40}, 1 seed\(s\)\n/);
    assert.match(stepped.stdout, new RegExp(`\\n  hop 1 ${statusA.id.slice(0, 16)}… ${a.bind}: `));
    assert.match(stepped.stdout, /\nlookup \d+ finished: found, 1 hops, 1 RPCs, \d+ ms\nkey /);
    const json = await runTesd(['find', '--admin', b.admin, answer.key, '--json', '--all']);
    assert.equal(json.code, 0, json.stderr);
    const found = JSON.parse(json.stdout) as { key: string; pointers: Array<{ tessera: string }> };
    assert.equal(found.key, answer.key);
    assert.deepEqual(
      found.pointers.map((p) => p.tessera),
      [tessera],
    );
    const missing = await runTesd(['find', '--admin', b.admin, 'ab'.repeat(20)]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tesd: no pointer found for key abab/);
    const bad = await runTesd(['find', '--admin', b.admin, 'xyz']);
    assert.notEqual(bad.code, 0);
    assert.match(
      bad.stderr,
      /^tesd: "xyz" is neither a 40-hex-digit key nor a 64-hex-digit tessera hash/,
    );
  });

  it('serves /metrics on its own listener, with the documented names and counters that move', async () => {
    const scrape = async (node: TesdNode): Promise<string> => {
      const answer = await http(node.metrics, {
        path: '/metrics',
        headers: { host: node.metrics },
      });
      assert.equal(answer.status, 200);
      assert.match(answer.contentType, /^text\/plain; version=0\.0\.4/);
      return answer.body;
    };
    const notAdmin = await http(a.metrics, { path: '/status', headers: { host: a.metrics } });
    assert.notEqual(notAdmin.status, 200, 'the metrics listener does not serve the admin API');
    const before = await scrape(a);
    for (const [name, kind] of [
      ['tesd_rpcs_total', 'counter'],
      ['tesd_rpcs_received_total', 'counter'],
      ['tesd_rpc_latency_seconds', 'histogram'],
      ['tesd_events_appended_total', 'counter'],
      ['tesd_peers_rejected_total', 'counter'],
      ['tesd_lookup_duration_seconds', 'histogram'],
      ['tesd_lookup_hops', 'histogram'],
      ['tesd_lookup_rpcs', 'histogram'],
      ['tesd_routing_table_peers', 'gauge'],
      ['tesd_routing_bucket_peers', 'gauge'],
      ['tesd_pointers_stored', 'gauge'],
      ['tesd_pointers_published', 'gauge'],
      ['tesd_journal_paused', 'gauge'],
      ['tesd_events_last_seq', 'gauge'],
    ])
      assert.match(before, new RegExp(`^# TYPE ${name} ${kind}$`, 'm'), `${name} (${kind})`);
    assert.match(
      before,
      /^tesd_process_nodejs_eventloop_lag_seconds [0-9.e-]+$/m,
      'process metrics',
    );
    assert.equal(sample(before, 'tesd_routing_table_peers'), 1);
    assert.equal(sample(before, 'tesd_pointers_published'), 1);
    assert.equal(sample(before, 'tesd_journal_paused'), 0);

    const receivedBefore = sample(before, 'tesd_rpcs_received_total', '{op="find_value"}');
    const bBefore = await scrape(b);
    const sentBefore = sample(bBefore, 'tesd_rpcs_total', '{op="find_value",outcome="ok"}');
    const lookupsBefore = sample(bBefore, 'tesd_lookup_duration_seconds_count', '{kind="value"}');
    const finds = 3;
    for (let i = 0; i < finds; i++) await getJson(b.admin, `/find/${tessera}?all=1`);

    const afterA = await scrape(a);
    const afterB = await scrape(b);
    assert.ok(
      sample(afterA, 'tesd_rpcs_received_total', '{op="find_value"}') >= receivedBefore + finds,
      'A counted the find_value requests it answered',
    );
    assert.ok(
      sample(afterB, 'tesd_rpcs_total', '{op="find_value",outcome="ok"}') >= sentBefore + finds,
      'B counted the find_value RPCs it sent',
    );
    assert.equal(
      sample(afterB, 'tesd_lookup_duration_seconds_count', '{kind="value"}'),
      lookupsBefore + finds,
      'one value lookup per find',
    );
    assert.ok(sample(afterA, 'tesd_events_last_seq') > sample(before, 'tesd_events_last_seq'));
    const status = await getJson<Status & { events: { last_seq: number } }>(a.admin, '/status');
    assert.ok(status.events.last_seq >= sample(afterA, 'tesd_events_last_seq'));
  });

  it('joins through `ID@host:port` only when the answering node has that ID', async () => {
    const joinedB = await getJson<Status>(b.admin, '/status');
    assert.equal(joinedB.bootstrap?.answered, 1, 'the right ID answered');
    const peersB = await getJson<{ peers: Array<{ id: string }> }>(b.admin, '/peers');
    assert.ok(peersB.peers.some((p) => p.id === statusA.id));

    const c = await cluster.node('c');
    const wrongId = (BigInt(`0x${statusA.id}`) ^ 1n).toString(16).padStart(40, '0');
    const joinedC = await cluster.start(c, [], ['--bootstrap', `${wrongId}@${a.bind}`]);
    assert.equal(joinedC.bootstrap?.peers, 1);
    assert.equal(joinedC.bootstrap?.answered, 0, 'the node at that address has another ID');
    assert.equal(joinedC.bootstrap?.table_size, 0);
    const peersC = await getJson<{ peers: unknown[] }>(c.admin, '/peers');
    assert.deepEqual(peersC.peers, [], 'C never took A into its table');
    await waitFor(
      'C to have stayed alone',
      async () => (await getJson<Status>(c.admin, '/status')).peers === 0,
    );
  });
});
