import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Cluster, REPO, type TesdNode } from '../e2e/tesd-process.js';

/** Metrics Prometheus makes itself, not the node. */
const PROMETHEUS_OWN = new Set(['up']);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

function metricNames(text: string): Set<string> {
  return new Set(
    [...text.matchAll(/\b(tesd_[a-z0-9_]+|up)\b(?=\s*[{[(=<>!)\s*/]|$)/gm)].map((m) => m[1]!),
  );
}

/** `# TYPE name kind` of the node's /metrics. */
function exposed(metricsText: string): Map<string, string> {
  return new Map(
    [...metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const),
  );
}

function exists(name: string, types: Map<string, string>): boolean {
  if (types.has(name)) return true;
  const suffix = HISTOGRAM_SUFFIXES.find((s) => name.endsWith(s));
  return suffix !== undefined && types.get(name.slice(0, -suffix.length)) === 'histogram';
}

describe('dashboards as code (ops/grafana, ops/prometheus)', () => {
  const cluster = new Cluster();
  let node: TesdNode;
  let types: Map<string, string>;
  before(async () => {
    node = await cluster.node('metrics');
    await cluster.start(node);
    const response = await fetch(`http://${node.metrics}/metrics`, {
      signal: AbortSignal.timeout(15_000),
    });
    types = exposed(await response.text());
  });
  after(() => cluster.cleanup());

  const dashboard = readFileSync(join(REPO, 'ops/grafana/tesd.json'), 'utf8');
  const alerts = readFileSync(join(REPO, 'ops/prometheus/alerts.yml'), 'utf8');

  test('every metric the Grafana dashboard queries exists in a real node’s /metrics', () => {
    const parsed = JSON.parse(dashboard) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>;
    };
    const exprs = parsed.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    assert.ok(exprs.length >= 15, `${exprs.length} queries`);
    const names = [...metricNames(exprs.join('\n'))].filter((n) => !PROMETHEUS_OWN.has(n));
    assert.ok(names.length >= 12, names.join(', '));
    assert.deepEqual(
      names.filter((n) => !exists(n, types)),
      [],
      'missing from /metrics',
    );
  });

  test('every metric the alert rules use exists in a real node’s /metrics', () => {
    const names = [...metricNames(alerts)].filter((n) => !PROMETHEUS_OWN.has(n));
    assert.deepEqual(names.sort(), [
      'tesd_journal_paused',
      'tesd_routing_table_peers',
      'tesd_rpcs_total',
    ]);
    assert.deepEqual(
      names.filter((n) => !exists(n, types)),
      [],
      'missing from /metrics',
    );
  });

  test('the dashboard covers what issue 14 names', () => {
    for (const name of [
      'tesd_rpcs_total',
      'tesd_rpc_latency_seconds_bucket',
      'tesd_routing_table_peers',
      'tesd_routing_bucket_peers',
      'tesd_pointers_stored',
      'tesd_lookup_duration_seconds_count',
      'tesd_journal_paused',
      'tesd_events_appended_total',
      'tesd_network_size_estimate',
    ])
      assert.match(dashboard, new RegExp(`\\b${name}\\b`), name);
  });
});
