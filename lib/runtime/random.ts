/**
 * Seeded randomness. `seedEverything(seed)` makes data generation, weight initialisation and
 * tfjs's shuffling reproducible with one call; generators in datasets/ take their own `Random`.
 */

/** A small, fast, seedable PRNG (mulberry32) with the distributions the kit needs. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Integer in [low, high] inclusive. */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  /** Standard normal (Box-Muller). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** One element of `items`, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A new array with the elements of `items` in a random order (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

const originalMathRandom = Math.random;
let source: (() => number) | null = null;
let routed = false;

/**
 * Makes `Math.random` a fixed function that draws from a replaceable source, so that seeding keeps
 * working after `Math` is frozen (the grader freezes it so that student code cannot patch it).
 */
export function routeMathRandom(): void {
  if (routed) return;
  routed = true;
  Math.random = () => (source ? source() : originalMathRandom());
}

/**
 * Seeds every source of randomness the kit uses: tfjs draws its default seeds (weight initialisers,
 * `tf.randomNormal` without a seed, `model.fit` shuffling) from `Math.random`, so it is replaced by
 * a seeded generator. Call `unseed()` to restore the original.
 */
export function seedEverything(seed: number): void {
  const rng = new Random(seed);
  source = () => rng.next();
  if (!routed) Math.random = source;
}

/** Restores the unseeded `Math.random`. */
export function unseed(): void {
  source = null;
  if (!routed) Math.random = originalMathRandom;
}
