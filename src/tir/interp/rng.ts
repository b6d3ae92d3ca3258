/**
 * A small seeded pseudo-random generator, so that tests and benchmarks draw the same inputs on
 * every run and every machine. A 32-bit Weyl sequence passed through a 32-bit avalanche mixer:
 * cheap, stateless apart from one counter, and good enough for test data (not for crypto).
 */
export class Rng {
  private state: number;

  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new RangeError(`Rng: seed must be a finite number, got ${seed}`);
    // Spread small seeds (0, 1, 2, ...) apart before the first draw.
    this.state = mix32(Math.trunc(seed) ^ 0x5bd1e995) | 0;
  }

  /** The next raw 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) | 0;
    return mix32(this.state) >>> 0;
  }

  /** A float uniformly distributed in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer uniformly distributed in [lo, hi) (hi exclusive). */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi <= lo) {
      throw new RangeError(`Rng.int: expected integers lo < hi, got lo=${lo}, hi=${hi}`);
    }
    return lo + Math.floor(this.next() * (hi - lo));
  }

  /** A float uniformly distributed in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** A standard normal sample (Box-Muller). */
  normal(mean = 0, std = 1): number {
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** One element of a non-empty array, uniformly. */
  choice<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError("Rng.choice: the array is empty");
    return xs[this.int(0, xs.length)]!;
  }

  /** A new generator seeded from this one (independent streams for sub-tasks). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }
}

/** A 32-bit avalanche mixer: every input bit affects every output bit. */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return z ^ (z >>> 16);
}
