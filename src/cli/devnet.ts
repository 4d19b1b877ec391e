import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { TesdError } from '../core/errors.js';

/**
 * `tesd devnet`: N real `tesd run` processes on 127.0.0.1, node i on UDP base+i, its admin
 * API on TCP 4480+offset+i and metrics on TCP 9464+offset+i (offset = base - 4433, so with
 * the defaults node 0 sits on every default port), each with its own data directory, every
 * node after the first bootstrapping from node 0.
 */

const DEFAULT_QUIC_PORT = 4433;
const DEFAULT_ADMIN_PORT = 4480;
const DEFAULT_METRICS_PORT = 9464;
const READY_TIMEOUT_MS = 30_000; // a cold start under tsx on a busy 2-core machine
const READY_POLL_MS = 100;
const STOP_TIMEOUT_MS = 6_000; // each node stops within 5 s

export interface DevnetOptions {
  readonly nodes: number;
  readonly basePort: number;
  readonly dir: string;
}

export interface DevnetNodePlan {
  readonly index: number;
  readonly bind: string;
  readonly admin: string;
  readonly metrics: string;
  readonly dataDir: string;
  readonly bootstrap: string | null;
}

export function planDevnet(options: DevnetOptions): DevnetNodePlan[] {
  const offset = options.basePort - DEFAULT_QUIC_PORT;
  const last = options.basePort + options.nodes - 1;
  const lastMetrics = DEFAULT_METRICS_PORT + offset + options.nodes - 1;
  if (DEFAULT_ADMIN_PORT + offset < 1 || last > 65_535 || lastMetrics > 65_535)
    throw new TesdError(
      'bad_argument',
      `--base-port ${options.basePort} puts some ports out of range`,
    );
  return Array.from({ length: options.nodes }, (_, index) => ({
    index,
    bind: `127.0.0.1:${options.basePort + index}`,
    admin: `127.0.0.1:${DEFAULT_ADMIN_PORT + offset + index}`,
    metrics: `127.0.0.1:${DEFAULT_METRICS_PORT + offset + index}`,
    dataDir: join(options.dir, `node-${index}`),
    bootstrap: index === 0 ? null : `127.0.0.1:${options.basePort}`,
  }));
}

/** The argv of `tesd run` for one node (without the program). */
export function runArgs(plan: DevnetNodePlan): string[] {
  const args = ['run', '--bind', plan.bind, '--admin', plan.admin, '--metrics', plan.metrics];
  args.push('--data-dir', plan.dataDir);
  if (plan.bootstrap !== null) args.push('--bootstrap', plan.bootstrap);
  return args;
}

/** How this very program was started, to start the nodes the same way (tsx or built). */
function selfCommand(): { file: string; args: string[]; display: string } {
  const script = process.argv[1] ?? '';
  const display =
    basename(script) === 'tesd'
      ? 'tesd'
      : ['node', ...process.execArgv, relative(process.cwd(), script) || script].join(' ');
  return { file: process.execPath, args: [...process.execArgv, script], display };
}

interface RunningNode {
  readonly plan: DevnetNodePlan;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

function spawnNode(plan: DevnetNodePlan): RunningNode {
  const self = selfCommand();
  const child = spawn(self.file, [...self.args, ...runArgs(plan)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[node-${plan.index}] `;
  createInterface({ input: child.stdout }).on('line', (line) =>
    process.stdout.write(prefix + line + '\n'),
  );
  createInterface({ input: child.stderr }).on('line', (line) =>
    process.stderr.write(prefix + line + '\n'),
  );
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { plan, child, exited };
}

async function waitReady(node: RunningNode): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let dead = false;
  void node.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead)
      throw new TesdError('devnet_failed', `node ${node.plan.index} exited before it was ready`);
    try {
      const response = await fetch(`http://${node.plan.admin}/status`, {
        signal: AbortSignal.timeout(1_000),
      });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  throw new TesdError(
    'devnet_failed',
    `node ${node.plan.index} not ready after ${READY_TIMEOUT_MS} ms`,
  );
}

async function stopAll(nodes: readonly RunningNode[]): Promise<void> {
  for (const node of nodes) if (node.child.exitCode === null) node.child.kill('SIGTERM');
  const timeout = setTimeout(() => {
    for (const node of nodes) if (node.child.exitCode === null) node.child.kill('SIGKILL');
  }, STOP_TIMEOUT_MS);
  await Promise.all(nodes.map((n) => n.exited));
  clearTimeout(timeout);
}

function printGuide(nodes: readonly RunningNode[], options: DevnetOptions): void {
  const cmd = selfCommand().display;
  const first = nodes[0]!.plan;
  const last = nodes[nodes.length - 1]!.plan;
  const tessera = randomBytes(32).toString('hex');
  const rows = nodes.map(({ plan, child }) =>
    [
      String(plan.index).padEnd(5),
      plan.bind.padEnd(17),
      plan.admin.padEnd(17),
      `http://${plan.metrics}/metrics`.padEnd(32),
      plan.dataDir.padEnd(Math.max(10, options.dir.length + 8)),
      String(child.pid ?? ''),
    ].join(' '),
  );
  const lines = [
    '',
    `devnet: ${nodes.length} nodes on 127.0.0.1, data under ${options.dir}`,
    `  ${['node', 'quic (udp)', 'admin', 'metrics', 'data dir', 'pid'].map((h, i) => h.padEnd([5, 17, 17, 32, Math.max(10, options.dir.length + 8), 0][i]!)).join(' ')}`,
    ...rows.map((row) => `  ${row}`),
    '',
    'try, in another terminal:',
    `  ${cmd} publish --admin ${first.admin} --data-dir ${first.dataDir} ${tessera}`,
    `  ${cmd} find --admin ${last.admin} ${tessera}`,
    `  ${cmd} sql --data-dir ${last.dataDir} "SELECT type, count(*) FROM events GROUP BY type"`,
    `  curl -s http://${last.metrics}/metrics | grep '^tesd_'`,
    `restart a node without bootstrapping: kill -TERM <its pid>, then`,
    `  ${cmd} ${runArgs({ ...last, bootstrap: null }).join(' ')}`,
    'Ctrl+C stops them all.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** Runs the devnet until Ctrl+C or until every node has exited; resolves the exit code. */
export async function runDevnet(options: DevnetOptions): Promise<number> {
  const plans = planDevnet(options);
  for (const plan of plans) mkdirSync(plan.dataDir, { recursive: true, mode: 0o700 });
  const nodes: RunningNode[] = [];
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('devnet: stopping all nodes\n');
    void stopAll(nodes);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    nodes.push(spawnNode(plans[0]!));
    await waitReady(nodes[0]!);
    for (const plan of plans.slice(1)) nodes.push(spawnNode(plan));
    await Promise.all(nodes.slice(1).map(waitReady));
  } catch (error) {
    stopping = true;
    await stopAll(nodes);
    throw error;
  }
  printGuide(nodes, options);
  let unexpected = 0;
  await Promise.all(
    nodes.map(async (node) => {
      const code = await node.exited;
      if (!stopping) {
        unexpected++;
        process.stderr.write(`devnet: node ${node.plan.index} exited (code ${code ?? 'signal'})\n`);
      }
    }),
  );
  return unexpected > 0 && !stopping ? 1 : 0;
}
