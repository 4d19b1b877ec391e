import type { PeerInfo } from '../../core/node-info.js';
import type { Body, CoreRequest } from '../../net/messages.js';
import type { RemotePeer } from '../../net/transport.js';
import type { EngineView, EventDraft } from '../node-context.js';
import { handleFindNode } from './find-node.js';
import { handleFindValue } from './find-value.js';
import { handlePing } from './ping.js';
import { handleStore } from './store.js';

/** A request's answer and the events that must be recorded before it is sent. */
export interface RequestAnswer {
  readonly body: Body;
  readonly events: readonly EventDraft[];
}

const NOTHING: readonly EventDraft[] = [];

/** One handler per request op; each reads the state and returns values, touching nothing. */
export function answerRequest(
  view: EngineView,
  request: CoreRequest,
  peer: PeerInfo,
  remote: RemotePeer,
  nowMs: number,
): RequestAnswer {
  switch (request.op) {
    case 'ping':
      return { body: handlePing(remote), events: NOTHING };
    case 'find_node':
      return { body: handleFindNode(view, request.target, peer), events: NOTHING };
    case 'find_value':
      return { body: handleFindValue(view, request.key, peer), events: NOTHING };
    case 'store':
      return handleStore(view, request.pointer, peer, nowMs);
  }
}
