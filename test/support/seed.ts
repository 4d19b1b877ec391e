import { randomInt } from 'node:crypto';

/**
 * Seeds for simulated tests: TESD_SEED=<n> reproduces a run, TESD_SEED=0 picks a random seed
 * and prints it; otherwise each test uses its own fixed seed.
 */
export function seeded(defaultSeed: number, run: (seed: number) => void): void {
  const fromEnv = process.env['TESD_SEED'];
  let seed = defaultSeed;
  if (fromEnv !== undefined && fromEnv !== '') {
    seed = Number(fromEnv) === 0 ? randomInt(1, 2 ** 31) : Number(fromEnv);
    if (Number(fromEnv) === 0) console.log(`TESD_SEED=0: using seed ${seed}`);
  }
  try {
    run(seed);
  } catch (error) {
    console.error(`reproduce with TESD_SEED=${seed}`);
    throw error;
  }
}
