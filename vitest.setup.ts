/**
 * Property tests are reproducible by default: every fast-check property draws from one fixed
 * seed, so a CI run is a function of the code alone (determinism is the product, tests included).
 * `npm run test:explore` (FC_SEED=random) lets fast-check pick fresh seeds to look for new
 * counterexamples; FC_SEED=<n> replays one. A failure prints `{ seed, path }` either way.
 */
import fc from 'fast-check';

const seedSetting = process.env.FC_SEED;
if (seedSetting !== 'random') {
  const seed = seedSetting === undefined ? 20261127 : Number(seedSetting);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED: expected an integer or "random", got ${JSON.stringify(seedSetting)}`);
  fc.configureGlobal({ seed });
}
