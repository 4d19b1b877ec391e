import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A network test bed in network namespaces, all made by this process and named
 * `tesd-<pid>-<role>` so parallel runs never collide:
 *
 *   switch namespace: bridge `br0`, the public segment (198.18.0.0/15 and 2001:db8::/32,
 *     on-link, so hosts in different /24s and /48s talk without a router);
 *   public hosts: one veth each into the switch (`eth0` inside the host);
 *   NAT router: `wan` into the switch, a LAN bridge of its own (198.51.100.0/24) and
 *     `iptables -t nat ... MASQUERADE` inside its namespace; NATed hosts plug into its LAN.
 *
 * Nothing touches the root namespace. Loss and delay are iptables rules on a host's INPUT
 * (this kernel has no netem): a statistic DROP, and an NFQUEUE served by `delay-queue.c`,
 * compiled into the bed's temp directory. Loss is applied on receipt because a DROP on
 * OUTPUT makes `sendto` fail with EPERM, which is a local error, not a lossy link.
 * `teardown()` is synchronous and idempotent; it runs on exit, SIGINT and SIGTERM.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const COMMAND_TIMEOUT_MS = 15_000;
/** The delay helper exits by itself after this, so it never outlives a killed test for long. */
const HELPER_LIFETIME_S = 900;
/** The public segment's prefix lengths: on-link for every host in the test ranges. */
const PUBLIC_V4_PREFIX = 15;
const PUBLIC_V6_PREFIX = 32;

export interface HostAddresses {
  readonly ipv4?: string;
  readonly ipv6?: string;
}

export interface Host {
  readonly role: string;
  readonly ns: string;
  readonly ipv4: string | null;
  readonly ipv6: string | null;
}

/** Why the bed cannot run here, or null when it can. */
export function bedUnavailableReason(): string | null {
  if (process.platform !== 'linux')
    return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'the network test bed needs root (ip netns, iptables)';
  for (const [command, args] of [
    ['ip', ['netns', 'list']],
    ['iptables', ['--version']],
    ['cc', ['--version']],
  ] as const) {
    const probe = spawnSync(command, args, { timeout: COMMAND_TIMEOUT_MS });
    if (probe.error !== undefined || probe.status !== 0)
      return `\`${command} ${args.join(' ')}\` is unavailable: ${probe.error?.message ?? probe.stderr.toString().trim()}`;
  }
  return null;
}

export class NetBed {
  readonly prefix = `tesd-${process.pid}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'tesd-netbed-'));
  readonly hosts = new Map<string, Host>();
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly switchNs: string;
  private delayHelper: string | null = null;
  private nextQueue = 1;
  private tornDown = false;
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.teardown();
    process.kill(process.pid, signal);
  };
  private readonly onExit = (): void => this.teardown();

  constructor() {
    process.on('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
    this.switchNs = this.addNamespace('switch');
    this.ip(this.switchNs, 'link', 'add', 'br0', 'type', 'bridge');
    this.ip(this.switchNs, 'link', 'set', 'br0', 'up');
  }

  /** Runs a command inside `ns`; throws with its stderr when it fails. */
  exec(ns: string, command: string, ...args: string[]): string {
    return run('ip', ['netns', 'exec', ns, command, ...args]);
  }

  /** A host on the public segment, with an IPv4 address, an IPv6 one, or both. */
  addPublicHost(role: string, addresses: HostAddresses): Host {
    const ns = this.addNamespace(role);
    this.plug(ns, 'eth0', this.switchNs, 'br0', `v-${role}`);
    if (addresses.ipv4 !== undefined)
      this.ip(ns, 'addr', 'add', `${addresses.ipv4}/${PUBLIC_V4_PREFIX}`, 'dev', 'eth0');
    if (addresses.ipv6 !== undefined)
      this.ip(
        ns,
        '-6',
        'addr',
        'add',
        `${addresses.ipv6}/${PUBLIC_V6_PREFIX}`,
        'dev',
        'eth0',
        'nodad',
      );
    return this.remember(role, ns, addresses);
  }

  /**
   * A home router: `wan` on the public segment at `publicIpv4`, a LAN bridge at `lanIpv4`/24,
   * forwarding, and MASQUERADE of the LAN behind `publicIpv4`. Unsolicited inbound traffic
   * reaches the router itself, where nothing listens: as on a home router without port
   * forwarding.
   */
  addNatRouter(role: string, publicIpv4: string, lanIpv4: string): Host {
    const ns = this.addNamespace(role);
    this.plug(ns, 'wan', this.switchNs, 'br0', `v-${role}`);
    this.ip(ns, 'addr', 'add', `${publicIpv4}/${PUBLIC_V4_PREFIX}`, 'dev', 'wan');
    this.ip(ns, 'link', 'add', 'lan', 'type', 'bridge');
    this.ip(ns, 'link', 'set', 'lan', 'up');
    this.ip(ns, 'addr', 'add', `${lanIpv4}/24`, 'dev', 'lan');
    this.exec(ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    this.exec(ns, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE');
    this.exec(ns, 'iptables', '-A', 'FORWARD', '-i', 'lan', '-o', 'wan', '-j', 'ACCEPT');
    this.exec(
      ns,
      'iptables',
      ...['-A', 'FORWARD', '-i', 'wan', '-o', 'lan', '-m', 'conntrack'],
      ...['--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'],
    );
    this.exec(ns, 'iptables', '-A', 'FORWARD', '-j', 'DROP');
    return this.remember(role, ns, { ipv4: publicIpv4 });
  }

  /** A host on `router`'s LAN at `lanIpv4`, its default route through the router. */
  addNatHost(role: string, router: Host, lanIpv4: string, gatewayIpv4: string): Host {
    const ns = this.addNamespace(role);
    this.plug(ns, 'eth0', router.ns, 'lan', `l-${role}`);
    this.ip(ns, 'addr', 'add', `${lanIpv4}/24`, 'dev', 'eth0');
    this.ip(ns, 'route', 'add', 'default', 'via', gatewayIpv4);
    return this.remember(role, ns, { ipv4: lanIpv4 });
  }

  /**
   * Makes every packet `host` receives lossy (`lossProbability`) and late (uniform
   * `delayMinMs`..`delayMaxMs`), IPv4 and IPv6.
   */
  impair(host: Host, lossProbability: number, delayMinMs: number, delayMaxMs: number): void {
    const queue = String(this.nextQueue++);
    const helper = this.spawnIn(host.ns, this.compileDelayHelper(), [
      queue,
      String(delayMinMs),
      String(delayMaxMs),
      String(HELPER_LIFETIME_S),
    ]);
    helper.on('error', () => undefined);
    for (const tables of ['iptables', 'ip6tables']) {
      this.exec(
        host.ns,
        tables,
        ...['-A', 'INPUT', '-i', 'eth0', '-m', 'statistic', '--mode', 'random'],
        ...['--probability', String(lossProbability), '-j', 'DROP'],
      );
      this.exec(
        host.ns,
        tables,
        ...['-A', 'INPUT', '-i', 'eth0', '-j', 'NFQUEUE', '--queue-num', queue, '--queue-bypass'],
      );
    }
  }

  /** Removes what `impair` added (the helper is stopped; its queued packets are released). */
  unimpair(host: Host): void {
    for (const tables of ['iptables', 'ip6tables']) this.exec(host.ns, tables, '-F', 'INPUT');
    for (const child of this.children)
      if (
        child.spawnargs.includes(host.ns) &&
        child.spawnargs.some((a) => a.endsWith('delay-queue'))
      )
        child.kill('SIGTERM');
  }

  /** A long-running process inside `ns`; killed by teardown. */
  spawnIn(ns: string, command: string, args: string[], cwd?: string): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, command, ...args], {
      cwd: cwd ?? this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Namespaces of this bed that still exist (for the no-leftovers check). */
  leftovers(): string[] {
    return run('ip', ['netns', 'list'])
      .split('\n')
      .map((line) => line.split(' ')[0]!)
      .filter((name) => name.startsWith(`${this.prefix}-`));
  }

  teardown(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    for (const child of this.children) child.kill('SIGKILL');
    for (const ns of [...this.namespaces].reverse()) {
      // Anything still running inside (tesd, delay helpers, curl) dies with the namespace.
      const pids = spawnSync('ip', ['netns', 'pids', ns], { timeout: COMMAND_TIMEOUT_MS });
      for (const pid of pids.stdout?.toString().split(/\s+/).filter(Boolean) ?? [])
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      spawnSync('ip', ['netns', 'del', ns], { timeout: COMMAND_TIMEOUT_MS });
    }
    // TESD_NETBED_KEEP=DIR keeps the nodes' data directories (event logs) for inspection.
    const keep = process.env['TESD_NETBED_KEEP'];
    if (keep !== undefined && keep !== '') cpSync(this.dir, keep, { recursive: true });
    rmSync(this.dir, { recursive: true, force: true });
  }

  private addNamespace(role: string): string {
    const ns = `${this.prefix}-${role}`;
    run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    this.ip(ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  /** A veth pair: `inner` inside `ns`, `outer` enslaved to `bridge` inside `bridgeNs`. */
  private plug(ns: string, inner: string, bridgeNs: string, bridge: string, outer: string): void {
    run('ip', [
      '-n',
      ns,
      'link',
      'add',
      inner,
      'type',
      'veth',
      'peer',
      'name',
      outer,
      'netns',
      bridgeNs,
    ]);
    this.ip(bridgeNs, 'link', 'set', outer, 'master', bridge, 'up');
    this.ip(ns, 'link', 'set', inner, 'up');
  }

  private ip(ns: string, ...args: string[]): void {
    run('ip', ['-n', ns, ...args]);
  }

  private remember(role: string, ns: string, addresses: HostAddresses): Host {
    const host = { role, ns, ipv4: addresses.ipv4 ?? null, ipv6: addresses.ipv6 ?? null };
    this.hosts.set(role, host);
    return host;
  }

  private compileDelayHelper(): string {
    if (this.delayHelper !== null) return this.delayHelper;
    const out = join(this.dir, 'delay-queue');
    run('cc', ['-O2', '-Wall', '-o', out, join(HERE, 'delay-queue.c'), '-lnetfilter_queue']);
    this.delayHelper = out;
    return out;
  }
}

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, {
      timeout: COMMAND_TIMEOUT_MS,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || String(error)}`, {
      cause: error,
    });
  }
}
