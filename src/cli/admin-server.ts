import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { HostPort } from '../core/address.js';
import { fromHex } from '../core/bytes.js';
import { pointerKey } from '../core/pointer.js';
import type { DhtNode } from '../dht/dht-node.js';
import { parseKeyOrTessera } from '../dht/find.js';
import type { LookupStep } from '../dht/lookup-steps.js';
import { sendRpc } from '../dht/rpc-client.js';
import { formatListenAddress, parseSeed } from './addresses.js';
import { tokenMatches } from './admin-token.js';
import { listenOn } from './http-listen.js';
import { LiveRouteError, LiveRoutes, type EventSource } from './live-routes.js';
import { findView, peersView, publishView, statusView, type DaemonInfo } from './node-views.js';
import { MAX_HOLDERS } from '../core/pointer.js';

/**
 * The admin API (SPEC §6): `GET /status`, `GET /peers`, `GET /find/:key`, `POST /publish`,
 * and the read-only live page under `/ui` (src/cli/live-routes.ts).
 * Every request must name the admin address in its Host header (a web page cannot reach it
 * through DNS rebinding); writes also need the bearer token and a JSON body. Bad input gets
 * a 4xx JSON `{ error }`.
 */

const MAX_BODY_BYTES = 16 * 1024; // a publish with 16 holders is under 2 KiB

const hex = (length: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-fA-F]{${length}}$`), `expected ${length} hex digits`)
    .transform((s) => s.toLowerCase());

const publishBodySchema = z
  .object({
    tessera: hex(64),
    holders: z
      .array(z.object({ id: hex(40).optional(), addr: z.string().max(64) }).strict())
      .max(MAX_HOLDERS)
      .optional(),
  })
  .strict();

const findParamsSchema = z.object({
  key: z
    .string()
    .regex(
      /^([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/,
      'expected a 40-hex-digit key or a 64-hex-digit tessera hash',
    ),
  all: z.enum(['0', '1', 'true', 'false']).optional(),
  steps: z.enum(['0', '1', 'true', 'false']).optional(),
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface AdminServerOptions {
  readonly node: DhtNode;
  readonly info: DaemonInfo;
  readonly token: string;
  readonly address: HostPort;
  /** Where the live page's event stream listens (the store wrapper that reports appends). */
  readonly events?: EventSource;
  /** The node's data directory: the live page reads recorded lookups from its events.db. */
  readonly dataDir?: string;
}

export class AdminServer {
  private readonly server: Server;
  private allowedHosts: Set<string>;
  private readonly live: LiveRoutes;

  private constructor(private readonly options: AdminServerOptions) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.live = new LiveRoutes(options.node, options.events, options.dataDir);
    this.allowedHosts = hostsFor(options.address);
  }

  static async start(
    options: AdminServerOptions,
  ): Promise<{ server: AdminServer; address: HostPort }> {
    const admin = new AdminServer(options);
    const address = await listenOn(admin.server, options.address, '--admin');
    admin.allowedHosts = hostsFor(address);
    return { server: admin, address };
  }

  get httpServer(): Server {
    return this.server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const host = (req.headers.host ?? '').toLowerCase();
      if (!this.allowedHosts.has(host))
        throw new HttpError(403, `Host ${JSON.stringify(host)} is not this admin address`);
      const url = new URL(req.url ?? '/', 'http://admin');
      if (this.live.handle(req, res, url)) return;
      const body = await this.route(req, url);
      send(res, 200, body);
    } catch (error) {
      if (res.headersSent) res.destroy();
      else if (error instanceof HttpError || error instanceof LiveRouteError)
        send(res, error.status, { error: error.message });
      else send(res, 500, { error: `internal error: ${(error as Error).message}` });
    }
  }

  private async route(req: IncomingMessage, url: URL): Promise<unknown> {
    const { node, info } = this.options;
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/status') return only(method, 'GET', () => statusView(node, info));
    if (path === '/peers') return only(method, 'GET', () => peersView(node));
    if (path.startsWith('/find/')) {
      only(method, 'GET', () => null);
      return this.find(
        decodeURIComponent(path.slice('/find/'.length)),
        url.searchParams.get('all'),
        url.searchParams.get('steps'),
      );
    }
    if (path === '/publish') {
      if (method !== 'POST') throw new HttpError(405, `${method} not allowed on ${path}: use POST`);
      this.authorize(req);
      return this.publish(await readJson(req));
    }
    throw new HttpError(
      404,
      `no such endpoint ${path}: GET /status, /peers, /find/:key, /ui (live page), POST /publish`,
    );
  }

  private authorize(req: IncomingMessage): void {
    const header = req.headers.authorization ?? '';
    const presented = /^Bearer (\S+)$/i.exec(header)?.[1];
    if (presented === undefined || !tokenMatches(presented, this.options.token))
      throw new HttpError(
        401,
        'missing or wrong bearer token (see admin.token in the data directory)',
      );
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json')
      throw new HttpError(415, 'Content-Type must be application/json');
  }

  private find(
    keyText: string,
    allText: string | null,
    stepsText: string | null,
  ): Promise<unknown> {
    const parsed = findParamsSchema.safeParse({
      key: keyText,
      ...(allText === null ? {} : { all: allText }),
      ...(stepsText === null ? {} : { steps: stepsText }),
    });
    if (!parsed.success) throw new HttpError(400, issueText(parsed.error));
    const key = parseKeyOrTessera(parsed.data.key, pointerKey)!;
    const yes = (flag: string | undefined): boolean => flag === '1' || flag === 'true';
    const all = yes(parsed.data.all);
    // ?steps=1: the lookup's steps as the engine yielded (and recorded) them.
    const steps: LookupStep[] = [];
    const onStep = yes(parsed.data.steps) ? (step: LookupStep) => steps.push(step) : undefined;
    return new Promise((resolve) =>
      this.options.node.find(key, { all, ...(onStep === undefined ? {} : { onStep }) }, (r) =>
        resolve(onStep === undefined ? findView(r) : { ...findView(r), steps }),
      ),
    );
  }

  private async publish(json: unknown): Promise<unknown> {
    const parsed = publishBodySchema.safeParse(json);
    if (!parsed.success) throw new HttpError(400, issueText(parsed.error));
    const { node } = this.options;
    if (node.journalPaused)
      throw new HttpError(503, 'the event journal is paused: cannot publish now');
    const holders = await Promise.all(
      (parsed.data.holders ?? []).map((h) => this.resolveHolder(h.id, h.addr)),
    );
    const tessera = fromHex(parsed.data.tessera)!;
    return new Promise((resolve) =>
      node.publish({ tessera, holders }, (result) => resolve(publishView(result))),
    );
  }

  /** A holder given without its ID is asked for it (a ping, which checks its identity). */
  private resolveHolder(
    idHex: string | undefined,
    addrText: string,
  ): Promise<{ id: Uint8Array; addr: string }> {
    let seed;
    try {
      seed = parseSeed(addrText, 'holder');
    } catch (error) {
      throw new HttpError(400, (error as Error).message);
    }
    if (idHex !== undefined) return Promise.resolve({ id: fromHex(idHex)!, addr: seed.addr });
    const { node } = this.options;
    return new Promise((resolve, reject) =>
      sendRpc(node, { identity: null, addr: seed.addr }, { op: 'ping' }, null, (result) => {
        if (result.ok) resolve({ id: result.peer.identity.id, addr: seed.addr });
        else
          reject(new HttpError(502, `holder ${seed.addr} did not answer a ping: ${result.error}`));
      }),
    );
  }
}

/** The Host values naming the admin address; `localhost` too when it listens on loopback. */
function hostsFor(address: HostPort): Set<string> {
  const hosts = new Set([formatListenAddress(address)]);
  if (address.host === '127.0.0.1' || address.host === '::1')
    hosts.add(`localhost:${address.port}`);
  return hosts;
}

function only<T>(method: string, allowed: string, run: () => T): T {
  if (method !== allowed) throw new HttpError(405, `${method} not allowed: use ${allowed}`);
  return run();
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid request';
  const where = issue.path.join('.');
  return where === '' ? issue.message : `${where}: ${issue.message}`;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
