import type { Command } from 'commander';
import { TesdError } from '../../core/errors.js';
import type { LookupStep } from '../../dht/lookup-steps.js';
import type { PointerData } from '../../events/event-types.js';
import { parseSeed } from '../addresses.js';
import { adminRequest } from '../admin-client.js';
import { readAdminToken } from '../admin-token.js';
import { collect, DEFAULT_ADMIN, DEFAULT_DATA_DIR } from './options.js';

interface PublishFlags {
  admin: string;
  dataDir: string;
  holder?: string[];
  json?: boolean;
}

interface FindFlags {
  admin: string;
  dataDir: string;
  all?: boolean;
  steps?: boolean;
  json?: boolean;
}

interface PublishAnswer {
  ok: boolean;
  key: string;
  seq: number;
  expires: number;
  stored_at: number;
  lookup: number;
  error?: string;
}

interface FindAnswer {
  key: string;
  pointers: PointerData[];
  lookup: { id: number; hops: number; rpcs: number; duration_ms: number; reason: string };
  /** With --steps: the engine's step values, as it yielded and recorded them. */
  steps?: LookupStep[];
}

/** One line per lookup step (`find --steps`), from the engine's step values. */
export function stepLine(step: LookupStep): string {
  switch (step.type) {
    case 'started':
      return `lookup ${step.lookupId} started: ${step.kind} ${step.target}, ${step.seeds.length} seed(s)`;
    case 'step': {
      const what =
        step.outcome === 'ok'
          ? `${step.returned.length} peer(s)${step.pointers > 0 ? `, ${step.pointers} pointer(s)` : ''}`
          : step.outcome;
      return `  hop ${step.hop} ${step.peer.slice(0, 16)}… ${step.addr}: ${what} (${step.latencyMs} ms)`;
    }
    case 'finished':
      return `lookup ${step.lookupId} finished: ${step.reason}, ${step.hops} hops, ${step.rpcs} RPCs, ${step.durationMs} ms`;
  }
}

export function registerPublishFindCommands(program: Command): void {
  program
    .command('publish')
    .description('publish a pointer to a tessera through a running node (admin API)')
    .argument('<tessera>', "the tessera's content hash, 64 hex digits")
    .option('--admin <host:port>', 'admin API of the node', DEFAULT_ADMIN)
    .option('--data-dir <dir>', "the node's data directory (for admin.token)", DEFAULT_DATA_DIR)
    .option(
      '--holder <[id@]host:port>',
      'who holds the tessera; repeat for more (default: the node itself; an ID left out is asked for)',
      collect,
    )
    .option('--json', 'print the answer as JSON')
    .action(async (tessera: string, flags: PublishFlags) => {
      if (!/^[0-9a-fA-F]{64}$/.test(tessera))
        throw new TesdError(
          'bad_argument',
          `tessera ${JSON.stringify(tessera)} is not 64 hex digits`,
        );
      const holders = (flags.holder ?? []).map((text) => {
        const seed = parseSeed(text, '--holder');
        return seed.idHex === undefined ? { addr: seed.addr } : { id: seed.idHex, addr: seed.addr };
      });
      const token = readAdminToken(flags.dataDir);
      const answer = await adminRequest<PublishAnswer>({
        admin: flags.admin,
        path: '/publish',
        method: 'POST',
        token,
        body: { tessera, ...(holders.length > 0 && { holders }) },
      });
      if (flags.json === true) process.stdout.write(JSON.stringify(answer) + '\n');
      else if (answer.ok)
        process.stdout.write(
          `published key ${answer.key} seq ${answer.seq}, stored at ${answer.stored_at} nodes ` +
            `(lookup ${answer.lookup}), expires ${new Date(answer.expires * 1000).toISOString()}\n`,
        );
      if (!answer.ok)
        throw new TesdError(
          'publish_failed',
          `publish of key ${answer.key} failed: ${answer.error ?? 'no node stored it'}`,
        );
    });

  program
    .command('find')
    .description('find the pointers of a key or tessera through a running node (admin API)')
    .argument('<key-or-tessera>', 'a pointer key (40 hex digits) or a tessera hash (64 hex digits)')
    .option('--admin <host:port>', 'admin API of the node', DEFAULT_ADMIN)
    .option(
      '--data-dir <dir>',
      "the node's data directory (unused by find; accepted for symmetry)",
      DEFAULT_DATA_DIR,
    )
    .option('--all', 'run the lookup to the end instead of stopping at the first pointers')
    .option('--steps', "print the lookup's steps (who was asked, what each answered)")
    .option('--json', 'print the answer as JSON')
    .action(async (keyText: string, flags: FindFlags) => {
      if (!/^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/.test(keyText))
        throw new TesdError(
          'bad_argument',
          `${JSON.stringify(keyText)} is neither a 40-hex-digit key nor a 64-hex-digit tessera hash`,
        );
      const query = [flags.all === true ? 'all=1' : '', flags.steps === true ? 'steps=1' : '']
        .filter((q) => q !== '')
        .join('&');
      const answer = await adminRequest<FindAnswer>({
        admin: flags.admin,
        path: `/find/${keyText}${query === '' ? '' : `?${query}`}`,
      });
      if (flags.json === true) {
        process.stdout.write(JSON.stringify(answer) + '\n');
        return;
      }
      if (answer.steps !== undefined)
        process.stdout.write(answer.steps.map(stepLine).join('\n') + '\n');
      const { lookup } = answer;
      const how = `lookup ${lookup.id}: ${lookup.hops} hops, ${lookup.rpcs} RPCs, ${lookup.duration_ms} ms, ${lookup.reason}`;
      if (answer.pointers.length === 0) {
        process.stderr.write(`tesd: no pointer found for key ${answer.key} (${how})\n`);
        process.exitCode = 1;
        return;
      }
      const lines = [`key ${answer.key}: ${answer.pointers.length} pointer(s) (${how})`];
      for (const p of answer.pointers)
        lines.push(
          `  tessera ${p.tessera} publisher ${p.publisher.slice(0, 16)}… seq ${p.seq} ` +
            `expires ${new Date(p.expires * 1000).toISOString()}`,
          ...p.holders.map((h) => `    holder ${h.id}@${h.addr}`),
        );
      process.stdout.write(lines.join('\n') + '\n');
    });
}
