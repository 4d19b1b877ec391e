import type { StoredEvent } from '../events/event-types.js';

/**
 * RPCs per second over the last minute, for the live page: sent, answered (received), and
 * failed (timeouts and errors of ours), counted from the events the node records into
 * one-second slots of a ring.
 */

const WINDOW_S = 60;

interface Slot {
  second: number;
  sent: number;
  received: number;
  failed: number;
}

export interface RpcRates {
  readonly window_s: number;
  readonly sent_per_s: number;
  readonly received_per_s: number;
  readonly failed_per_s: number;
}

export class RpcRateWindow {
  private readonly slots: Slot[] = Array.from({ length: WINDOW_S }, () => ({
    second: -1,
    sent: 0,
    received: 0,
    failed: 0,
  }));

  observe(event: StoredEvent): void {
    if (
      event.type !== 'rpc_sent' &&
      event.type !== 'rpc_received' &&
      event.type !== 'rpc_completed'
    )
      return;
    const slot = this.slotAt(Math.floor(event.at / 1000));
    if (event.type === 'rpc_sent') slot.sent++;
    else if (event.type === 'rpc_received') slot.received++;
    else if (event.data.outcome !== 'ok') slot.failed++;
  }

  rates(nowMs: number): RpcRates {
    const now = Math.floor(nowMs / 1000);
    let sent = 0;
    let received = 0;
    let failed = 0;
    for (const slot of this.slots) {
      if (slot.second <= now - WINDOW_S || slot.second > now) continue;
      sent += slot.sent;
      received += slot.received;
      failed += slot.failed;
    }
    const round = (count: number): number => Math.round((count / WINDOW_S) * 100) / 100;
    return {
      window_s: WINDOW_S,
      sent_per_s: round(sent),
      received_per_s: round(received),
      failed_per_s: round(failed),
    };
  }

  private slotAt(second: number): Slot {
    const slot = this.slots[second % WINDOW_S]!;
    if (slot.second !== second) Object.assign(slot, { second, sent: 0, received: 0, failed: 0 });
    return slot;
  }
}
