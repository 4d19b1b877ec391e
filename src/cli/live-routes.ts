import type { IncomingMessage, ServerResponse } from 'node:http';
import { TesdError } from '../core/errors.js';
import type { DhtNode } from '../dht/dht-node.js';
import { EVENT_TYPES, isEventType, type StoredEvent } from '../events/event-types.js';
import { ObservedStore } from '../events/observed-event-store.js';
import { SqliteEventStore } from '../events/sqlite-event-store.js';
import { listLookups } from '../inspect/lookup-list.js';
import { loadLookup } from '../inspect/lookup-record.js';
import { replayLookup } from '../inspect/lookup-replay.js';
import { withLog } from '../inspect/open-log.js';
import { renderReplayHtml } from '../inspect/replay-html.js';
import { LIVE_PAGE_CSS } from '../web/live-page-css.js';
import { LIVE_PAGE_HTML } from '../web/live-page-html.js';
import { LIVE_PAGE_SCRIPT } from '../web/live-page-script.js';
import { routingView } from './node-views.js';
import { RpcRateWindow } from './rpc-rates.js';

/**
 * The live page of the admin listener (issue 14): `GET /ui` and its assets, the JSON it polls
 * (`/ui/routing.json`, `/ui/rates.json`, `/ui/lookups.json`), a lookup's replay picture
 * (`/ui/lookups/ID.html`) and the event stream (`/ui/events`, Server-Sent Events filtered by
 * `type`, `peer` and `key`). All read-only, so no token: the admin API's Host check still
 * applies. Lookups are read from the node's own `events.db` through a read-only connection.
 */

/** Concurrent event streams; more is a leak or an attack, not a user. */
const MAX_STREAMS = 16;
/** Events sent when a stream opens (or after Last-Event-ID), newest last. */
const BACKLOG_EVENTS = 50;
/** How far back the backlog looks for matching events. */
const BACKLOG_SCAN = 5_000;
const HEARTBEAT_MS = 15_000;
const MAX_LOOKUPS = 100;

const PAGE_POLICY = "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'";
// The replay page is one self-contained file with inline style and script.
const REPLAY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'self'";

export interface EventFilter {
  readonly types: ReadonlySet<string> | null;
  readonly peer: string | null;
  readonly key: string | null;
}

export class LiveRouteError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reports every event the node records (an ObservedStore). */
export interface EventSource {
  onAppend(listener: (event: StoredEvent) => void): void;
}

interface Stream {
  readonly res: ServerResponse;
  readonly filter: EventFilter;
}

export class LiveRoutes {
  private readonly streams = new Set<Stream>();
  private readonly rates = new RpcRateWindow();
  private readonly dataDir: string | null;

  constructor(
    private readonly node: DhtNode,
    events?: EventSource,
    dataDir?: string,
  ) {
    // Without them, look through the node's store (an ObservedStore around SQLite in tests).
    const store = node.store;
    const inner = store instanceof ObservedStore ? store.inner : store;
    this.dataDir = dataDir ?? (inner instanceof SqliteEventStore ? inner.dataDir : null);
    const source = events ?? (store instanceof ObservedStore ? store : null);
    source?.onAppend((event) => this.publish(event));
  }

  /** Serves `path` if it is one of the page's; false leaves it to the JSON API. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const path = url.pathname;
    if (path !== '/' && path !== '/ui' && !path.startsWith('/ui/')) return false;
    if ((req.method ?? 'GET') !== 'GET')
      throw new LiveRouteError(405, `${req.method} not allowed on ${path}: the page is read-only`);
    if (path === '/') {
      res.writeHead(302, { location: '/ui' }).end();
    } else if (path === '/ui') {
      sendText(res, 'text/html', LIVE_PAGE_HTML, PAGE_POLICY);
    } else if (path === '/ui/app.js') {
      sendText(res, 'text/javascript', LIVE_PAGE_SCRIPT, PAGE_POLICY);
    } else if (path === '/ui/app.css') {
      sendText(res, 'text/css', LIVE_PAGE_CSS, PAGE_POLICY);
    } else if (path === '/ui/routing.json') {
      sendJson(res, routingView(this.node));
    } else if (path === '/ui/rates.json') {
      sendJson(res, this.rates.rates(this.node.timers.now()));
    } else if (path === '/ui/lookups.json') {
      sendJson(res, { lookups: this.lookups(url.searchParams.get('limit')) });
    } else if (/^\/ui\/lookups\/\d+\.html$/.test(path)) {
      sendText(res, 'text/html', this.replayHtml(Number(path.slice(12, -5))), REPLAY_POLICY);
    } else if (path === '/ui/events') {
      this.openStream(req, res, parseFilter(url.searchParams));
    } else {
      throw new LiveRouteError(404, `no such page ${path}`);
    }
    return true;
  }

  private withLog<T>(use: (store: SqliteEventStore) => T): T {
    if (this.dataDir === null)
      throw new LiveRouteError(404, 'this node keeps no event log on disk: no lookups to show');
    try {
      return withLog(this.dataDir, (log) => use(log.store));
    } catch (error) {
      if (error instanceof TesdError && error.code === 'no_lookup')
        throw new LiveRouteError(404, error.message);
      throw error;
    }
  }

  private lookups(limitText: string | null) {
    const limit = Math.min(MAX_LOOKUPS, Math.max(1, Number(limitText ?? 25) || 25));
    return this.withLog((store) => listLookups(store.db, { limit }));
  }

  private replayHtml(id: number): string {
    if (!Number.isSafeInteger(id) || id < 1) throw new LiveRouteError(400, 'lookup ids start at 1');
    return this.withLog((store) => renderReplayHtml(replayLookup(loadLookup(store, id))));
  }

  private openStream(req: IncomingMessage, res: ServerResponse, filter: EventFilter): void {
    if (this.streams.size >= MAX_STREAMS)
      throw new LiveRouteError(503, `already ${MAX_STREAMS} event streams open`);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(`retry: 2000\nevent: types\ndata: ${JSON.stringify(EVENT_TYPES)}\n\n`);
    const lastId = Number(req.headers['last-event-id'] ?? NaN);
    for (const event of this.backlog(filter, Number.isSafeInteger(lastId) ? lastId : null))
      writeEvent(res, event);
    const stream: Stream = { res, filter };
    this.streams.add(stream);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    req.on('close', () => {
      clearInterval(heartbeat);
      this.streams.delete(stream);
    });
  }

  /** The latest matching events, or those after the one the browser saw last. */
  private backlog(filter: EventFilter, afterSeq: number | null): StoredEvent[] {
    const last = this.node.store.lastSeq;
    const from = Math.max(afterSeq ?? 0, last - BACKLOG_SCAN);
    const matching = [...this.node.store.read({ afterSeq: from })].filter((e) =>
      matches(filter, e),
    );
    return matching.slice(-BACKLOG_EVENTS);
  }

  private publish(event: StoredEvent): void {
    this.rates.observe(event);
    for (const stream of this.streams)
      if (matches(stream.filter, event)) writeEvent(stream.res, event);
  }
}

export function parseFilter(params: URLSearchParams): EventFilter {
  const typeText = params.get('type')?.trim() ?? '';
  const types = typeText === '' ? null : new Set(typeText.split(',').map((t) => t.trim()));
  for (const type of types ?? [])
    if (!isEventType(type))
      throw new LiveRouteError(
        400,
        `unknown event type "${type}"; known: ${EVENT_TYPES.join(', ')}`,
      );
  const prefix = (name: string): string | null => {
    const value = params.get(name)?.trim().toLowerCase() ?? '';
    if (value === '') return null;
    if (!/^[0-9a-f]{1,64}$/.test(value))
      throw new LiveRouteError(400, `${name} must be a hex prefix`);
    return value;
  };
  return { types, peer: prefix('peer'), key: prefix('key') };
}

export function matches(filter: EventFilter, event: StoredEvent): boolean {
  if (filter.types !== null && !filter.types.has(event.type)) return false;
  if (filter.peer !== null && !(event.peer ?? '').startsWith(filter.peer)) return false;
  if (filter.key !== null && !(event.key ?? '').startsWith(filter.key)) return false;
  return true;
}

function writeEvent(res: ServerResponse, event: StoredEvent): void {
  const { seq, at, type, peer, key, lookup, data } = event;
  res.write(`id: ${seq}\ndata: ${JSON.stringify({ seq, at, type, peer, key, lookup, data })}\n\n`);
}

function sendText(res: ServerResponse, type: string, body: string, policy: string): void {
  res.writeHead(200, {
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'content-security-policy': policy,
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

function sendJson(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
