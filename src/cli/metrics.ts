import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StoredEvent } from '../events/event-types.js';
import type { DhtNode } from '../dht/dht-node.js';
import type { NetworkSizeEstimate } from '../dht/netsize.js';

/**
 * Prometheus metrics of a running node (SPEC §6 `/metrics`). Counters and histograms are fed
 * from the events the node records (`observe`); gauges read the node's state when scraped.
 */

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2];
const LOOKUP_DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];
const HOP_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 10, 15];
const LOOKUP_RPC_BUCKETS = [1, 3, 5, 10, 20, 30, 50, 75, 100, 150];
/** Lookups whose kind we remember until they finish; more in flight than this is abnormal. */
const MAX_OPEN_LOOKUPS = 10_000;

// prom-client samples the event loop's delay with a timer of this period (its default, 10 ms,
// woke an idle node 100 times a second: most of its idle CPU, issue 12). A stall shorter than
// the period can slip between two samples; long stalls, the ones that matter, are still seen.
const EVENT_LOOP_SAMPLE_MS = 500;

export class NodeMetrics {
  readonly registry = new Registry();
  private node: DhtNode | null = null;
  private networkSize: () => NetworkSizeEstimate | null = () => null;
  private readonly lookupKinds = new Map<number, string>();

  private readonly rpcs = new Counter({
    name: 'tesd_rpcs_total',
    help: 'RPCs this node sent, by op and outcome (ok, timeout, error)',
    labelNames: ['op', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly rpcsReceived = new Counter({
    name: 'tesd_rpcs_received_total',
    help: 'Requests this node answered, by op',
    labelNames: ['op'] as const,
    registers: [this.registry],
  });
  private readonly rpcLatency = new Histogram({
    name: 'tesd_rpc_latency_seconds',
    help: 'Latency of RPCs this node sent, by op and outcome',
    labelNames: ['op', 'outcome'] as const,
    buckets: LATENCY_BUCKETS_S,
    registers: [this.registry],
  });
  private readonly events = new Counter({
    name: 'tesd_events_appended_total',
    help: 'Events appended to the log, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  private readonly rejected = new Counter({
    name: 'tesd_peers_rejected_total',
    help: 'Messages or peers rejected, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly lookupDuration = new Histogram({
    name: 'tesd_lookup_duration_seconds',
    help: 'Duration of iterative lookups, by kind',
    labelNames: ['kind'] as const,
    buckets: LOOKUP_DURATION_BUCKETS_S,
    registers: [this.registry],
  });
  private readonly lookupHops = new Histogram({
    name: 'tesd_lookup_hops',
    help: 'Hops of iterative lookups (SPEC §4.3), by kind',
    labelNames: ['kind'] as const,
    buckets: HOP_BUCKETS,
    registers: [this.registry],
  });
  private readonly lookupRpcs = new Histogram({
    name: 'tesd_lookup_rpcs',
    help: 'RPCs sent by iterative lookups, by kind',
    labelNames: ['kind'] as const,
    buckets: LOOKUP_RPC_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({
      register: this.registry,
      prefix: 'tesd_process_',
      eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
    });
    const state = (): DhtNode['state'] | null => this.node?.state ?? null;
    new Gauge({
      name: 'tesd_routing_table_peers',
      help: 'Peers in the routing table',
      registers: [this.registry],
      collect() {
        this.set(state()?.routing.byId.size ?? 0);
      },
    });
    new Gauge({
      name: 'tesd_routing_bucket_peers',
      help: 'Peers per non-empty routing table bucket (k = 20 is full)',
      labelNames: ['bucket'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        state()?.routing.buckets.forEach((bucket, index) => {
          if (bucket !== undefined && bucket.size > 0)
            this.set({ bucket: String(index) }, bucket.size);
        });
      },
    });
    new Gauge({
      name: 'tesd_pointers_stored',
      help: 'Pointers held in the pointer store',
      registers: [this.registry],
      collect() {
        this.set(state()?.pointers.size ?? 0);
      },
    });
    new Gauge({
      name: 'tesd_pointers_published',
      help: "This node's own publications (republished every 12 h)",
      registers: [this.registry],
      collect() {
        this.set(state()?.pointers.published.size ?? 0);
      },
    });
    const node = (): DhtNode | null => this.node;
    new Gauge({
      name: 'tesd_journal_paused',
      help: '1 while the event journal cannot write (the node serves reads only)',
      registers: [this.registry],
      collect() {
        this.set(node()?.journalPaused === true ? 1 : 0);
      },
    });
    const networkSize = (): NetworkSizeEstimate | null => this.networkSize();
    new Gauge({
      name: 'tesd_network_size_estimate',
      help: 'Nodes in the network, estimated from the routing table and recent lookups (0: unknown)',
      registers: [this.registry],
      collect() {
        this.set(networkSize()?.size ?? 0);
      },
    });
    new Gauge({
      name: 'tesd_reachable',
      help: 'Reachability check result: 1 reachable, 0 unreachable, -1 unknown (issue 15)',
      registers: [this.registry],
      collect() {
        const status = node()?.reach.status;
        this.set(status === 'reachable' ? 1 : status === 'unreachable' ? 0 : -1);
      },
    });
    new Gauge({
      name: 'tesd_dht_server',
      help: '1 while the node advertises the DHT capability (routing tables may hold it)',
      registers: [this.registry],
      collect() {
        this.set(((node()?.self.caps ?? 0) & 1) !== 0 ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tesd_events_last_seq',
      help: 'seq of the last event in the log',
      registers: [this.registry],
      collect() {
        this.set(node()?.store.lastSeq ?? 0);
      },
    });
  }

  attach(node: DhtNode, networkSize?: () => NetworkSizeEstimate | null): void {
    this.node = node;
    if (networkSize !== undefined) this.networkSize = networkSize;
  }

  /** Feeds one recorded event into the counters and histograms. */
  observe(event: StoredEvent): void {
    this.events.inc({ type: event.type });
    switch (event.type) {
      case 'rpc_completed': {
        const { op, outcome, latency_ms } = event.data;
        this.rpcs.inc({ op, outcome });
        this.rpcLatency.observe({ op, outcome }, latency_ms / 1000);
        return;
      }
      case 'rpc_received':
        this.rpcsReceived.inc({ op: event.data.op });
        return;
      case 'peer_rejected':
        this.rejected.inc({ reason: event.data.reason }, event.data.count);
        return;
      case 'lookup_started':
        if (this.lookupKinds.size >= MAX_OPEN_LOOKUPS) this.lookupKinds.clear();
        this.lookupKinds.set(event.seq, event.data.kind);
        return;
      case 'lookup_finished': {
        const id = event.lookup ?? 0;
        const kind = this.lookupKinds.get(id) ?? 'unknown';
        this.lookupKinds.delete(id);
        this.lookupDuration.observe({ kind }, event.data.duration_ms / 1000);
        this.lookupHops.observe({ kind }, event.data.hops);
        this.lookupRpcs.observe({ kind }, event.data.rpcs);
        return;
      }
      default:
        return;
    }
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
