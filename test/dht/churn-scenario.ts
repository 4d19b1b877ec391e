import type { BootstrapResult } from '../../src/dht/bootstrap.js';
import type { DhtConfig } from '../../src/dht/config.js';
import type { FindResult } from '../../src/dht/find.js';
import type { PublishResult } from '../../src/dht/publish.js';
import { createSimulation, type Simulation } from '../../src/sim/simulation.js';

/**
 * Issue 11's churn story on the simulated network: a network publishes pointers, a quarter of
 * its nodes crash, the rest keep finding the pointers; then the crashed nodes restart together
 * on their logs and rejoin. Shared by test/dht/churn.test.ts (exact figures for a seed) and
 * bench/churn.ts (the issue's targets over several seeds).
 */
export interface ChurnOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly killFraction: number;
  readonly pointers: number;
  readonly finds: number;
  /** How many of the killed nodes restart together (all of them by default). */
  readonly restart?: number;
  readonly config?: Partial<DhtConfig>;
}

export interface ChurnFigures {
  readonly killed: number[];
  /** Virtual duration of each find after the kill, in order. */
  readonly findMs: number[];
  readonly found: number;
  /** Per restarted node: restored peers, how many of them were up, how many answered. */
  readonly rejoins: Array<{ restored: number; live: number; answered: number; reported: number }>;
  /** peer_failed events the restarted nodes recorded against peers that were up. */
  readonly strikesOnLive: number;
  readonly sim: Simulation;
}

export function runChurn(options: ChurnOptions): ChurnFigures {
  const sim = createSimulation({
    seed: options.seed,
    nodes: options.nodes,
    ...(options.config === undefined ? {} : { config: options.config }),
  });
  sim.bootstrapAll();
  sim.runUntilIdle();
  const keys = publishAll(sim, options.pointers);

  const killed = pick(sim, Math.round(options.nodes * options.killFraction), []);
  for (const index of killed) sim.stopNode(index, { crash: true });
  const alive = sim.nodes.map((n) => n.index).filter((i) => !killed.includes(i));
  const findMs: number[] = [];
  let found = 0;
  for (let i = 0; i < options.finds; i++) {
    const from = alive[sim.random.int(alive.length)]!;
    const key = keys[sim.random.int(keys.length)]!;
    let result: FindResult | undefined;
    sim.node(from).find(Buffer.from(key, 'hex'), {}, (r) => (result = r));
    sim.runUntilIdle();
    findMs.push(result?.lookup.durationMs ?? Infinity);
    if ((result?.pointers.length ?? 0) > 0) found++;
  }

  const restarted = killed.slice(0, options.restart ?? killed.length);
  const up = new Set([...alive, ...restarted].map((i) => sim.nodes[i]!.identity.idHex));
  const startSeqs: number[] = [];
  const restoredIds: string[][] = [];
  for (const index of restarted) {
    const simNode = sim.restartNode(index);
    startSeqs.push(simNode.store.lastSeq);
    restoredIds.push([...simNode.node.state.routing.byId.keys()]);
  }
  const results: Array<BootstrapResult | undefined> = [];
  restarted.forEach((index, i) => sim.node(index).rejoin([], (r) => (results[i] = r)));
  sim.runUntilIdle();
  const rejoins = restarted.map((index, i) => {
    const ids = restoredIds[i]!;
    return {
      restored: ids.length,
      live: ids.filter((id) => up.has(id)).length,
      answered: answeredDuringRejoin(sim, index, startSeqs[i]!, ids),
      reported: results[i]?.answered ?? -1,
    };
  });
  let strikesOnLive = 0;
  restarted.forEach((index, i) => {
    for (const event of sim.nodes[index]!.store.read({
      type: 'peer_failed',
      afterSeq: startSeqs[i]!,
    }))
      if (event.peer !== null && up.has(event.peer)) strikesOnLive++;
  });
  return { killed, findMs, found, rejoins, strikesOnLive, sim };
}

function publishAll(sim: Simulation, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const tessera = sim.random.bytes(32);
    let published: PublishResult | undefined;
    sim.node(sim.random.int(sim.nodes.length)).publish({ tessera }, (r) => (published = r));
    sim.runUntilIdle();
    if (published?.ok === true) keys.push(published.key);
  }
  return keys;
}

/** `count` distinct node indexes drawn from the simulation's seeded generator. */
function pick(sim: Simulation, count: number, exclude: number[]): number[] {
  const chosen: number[] = [];
  while (chosen.length < count) {
    const index = sim.random.int(sim.nodes.length);
    if (!chosen.includes(index) && !exclude.includes(index)) chosen.push(index);
  }
  return chosen;
}

/** Restored peers that answered a ping of the rejoin (an ok rpc_completed for a ping). */
function answeredDuringRejoin(
  sim: Simulation,
  index: number,
  startSeq: number,
  restored: string[],
): number {
  const wanted = new Set(restored);
  const answered = new Set<string>();
  for (const event of sim.nodes[index]!.store.read({ type: 'rpc_completed', afterSeq: startSeq }))
    if (
      event.type === 'rpc_completed' &&
      event.data.op === 'ping' &&
      event.data.outcome === 'ok' &&
      event.peer !== null &&
      wanted.has(event.peer)
    )
      answered.add(event.peer);
  return answered.size;
}
