/**
 * A lookup's steps as the API yields them (`node.lookup()`): the engine's own values
 * (src/dht/lookup-steps.ts), the same ones it records. `lookupStepOf` reads a recorded
 * event back into its step, for the history.
 */
export { lookupStepOf } from '../dht/lookup-steps.js';
export type {
  LookupFinished,
  LookupStarted,
  LookupStep,
  LookupStepped,
} from '../dht/lookup-steps.js';
