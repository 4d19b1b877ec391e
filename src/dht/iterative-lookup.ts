import type { TimerHandle } from '../core/clock.js';
import type { StoredEvent } from '../events/event-types.js';
import { lookupStep, openLookup, type LookupState } from './lookup-machine.js';
import type {
  LookupGoal,
  LookupInput,
  LookupOutput,
  LookupResult,
  LookupTimer,
} from './lookup-values.js';
import type { LookupEnd } from './lookup-planner.js';
import { stepDraft, type LookupStarted, type LookupStep } from './lookup-steps.js';
import type { NodeDriver } from './node-context.js';
import { sendRpc, type RpcResult } from './rpc-client.js';

export type { LookupEnd, LookupResult };

export interface LookupRequest extends LookupGoal {
  /** Told each step as it happens, the same value that is recorded (issue 10 item 4). */
  readonly onStep?: (step: LookupStep) => void;
}

/**
 * The driver's side of a lookup: the machine (lookup-machine.ts) decides; this runner records
 * its steps, arms and cancels its timers, sends its queries through `sendRpc` and feeds every
 * outcome back in, until the machine reports the result.
 */
class LookupRunner {
  private readonly lookup: LookupState;
  private readonly started: LookupStarted;
  /** The armed query timers by tag (an array: tags count from 1), and the deadline's. */
  private readonly queryTimers: Array<TimerHandle | undefined> = [];
  private deadline: TimerHandle | undefined;

  constructor(
    private readonly node: NodeDriver,
    private readonly request: LookupRequest,
    private readonly onDone: (result: LookupResult) => void,
  ) {
    const { lookup, started } = openLookup(node, request, node.timers.now());
    this.lookup = lookup;
    this.started = started;
  }

  start(): void {
    const { started } = this;
    const stored = this.record(started);
    const lookupId = stored?.seq ?? 0;
    this.request.onStep?.({ ...started, lookupId, at: stored?.at ?? started.at });
    this.feed({ type: 'started', lookupId });
  }

  private feed(input: LookupInput): void {
    const { node } = this;
    const context = {
      nowMs: node.timers.now(),
      softTimeoutMs: node.rtt.softTimeoutMs(node.config.rpcTimeoutMs),
    };
    this.apply(lookupStep(this.lookup, input, context));
  }

  /** Decide, record, apply: the steps are recorded before any timer or query they lead to. */
  private apply(output: LookupOutput): void {
    for (const step of output.steps) this.emit(step);
    for (const effect of output.effects) {
      switch (effect.type) {
        case 'arm':
          this.arm(effect.timer, effect.afterMs);
          break;
        case 'cancel':
          this.take(effect.timer)?.cancel();
          break;
        case 'send':
          sendRpc(this.node, effect.peer, effect.request, this.lookup.lookupId, (result) =>
            this.feed(outcomeOf(effect.tag, result)),
          );
          break;
      }
    }
    if (output.done !== null) this.onDone(output.done);
  }

  private arm(timer: LookupTimer, afterMs: number): void {
    const handle = this.node.timers.setTimer(afterMs, () => {
      this.take(timer);
      this.feed({ type: 'timer', timer });
    });
    if (timer === 'deadline') this.deadline = handle;
    else this.queryTimers[timer] = handle;
  }

  /** The handle armed for `timer`, forgotten (undefined if none is). */
  private take(timer: LookupTimer): TimerHandle | undefined {
    if (timer === 'deadline') {
      const handle = this.deadline;
      this.deadline = undefined;
      return handle;
    }
    const handle = this.queryTimers[timer];
    this.queryTimers[timer] = undefined;
    return handle;
  }

  /** Records a step, then tells the follower the same value (with the time recorded). */
  private emit(step: LookupStep): void {
    const stored = this.record(step);
    const follow = this.request.onStep;
    if (follow === undefined) return;
    follow(stored === null || stored.at === step.at ? step : { ...step, at: stored.at });
  }

  private record(step: LookupStep): StoredEvent | null {
    const event = stepDraft(step);
    return this.node.record(event.type, event.data, event.refs);
  }
}

function outcomeOf(tag: number, result: RpcResult): LookupInput {
  return result.ok
    ? { type: 'answered', tag, response: result.response, latencyMs: result.latencyMs }
    : { type: 'failed', tag, outcome: result.outcome, latencyMs: result.latencyMs };
}

/** Runs an iterative lookup (SPEC §4.3); `onDone` gets its result once it is over. */
export function lookup(
  node: NodeDriver,
  request: LookupRequest,
  onDone: (result: LookupResult) => void,
): void {
  new LookupRunner(node, request, onDone).start();
}
