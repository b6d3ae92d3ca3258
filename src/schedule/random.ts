/**
 * The schedule's random state: a 64-bit linear congruential generator (as MetaSchedule uses),
 * so that sampling is deterministic for a seed and a fork gets an independent stream.
 */
const MOD = 2n ** 31n - 1n;
const MUL = 48271n;

export class ScheduleRandom {
  private state: bigint;
  constructor(seed: number = 42) {
    // Hash the seed first: the generator is multiplicative, so nearby seeds would otherwise
    // start with nearly equal draws (seeds 1..30 all drew candidate 0 first).
    this.state = BigInt((mixSeed(Math.abs(Math.trunc(seed))) % Number(MOD - 1n)) + 1);
  }
  /** The next integer in [0, 2^31 - 1). */
  nextInt(): number {
    this.state = (this.state * MUL) % MOD;
    return Number(this.state) - 1;
  }
  /** A float in [0, 1). */
  next(): number {
    return this.nextInt() / Number(MOD - 1n);
  }
  /** An integer in [lo, hi). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo));
  }
  /** A seed for an independent generator. */
  forkSeed(): number {
    return (this.nextInt() * 32767 + 1) % Number(MOD - 1n);
  }
  get seed(): number {
    return Number(this.state);
  }
}

/** murmur3's 32-bit finaliser: spreads nearby seeds over the whole range. */
function mixSeed(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
