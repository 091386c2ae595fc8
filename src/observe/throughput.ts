import type { Settlement } from './observer.js';

/** Messages finished in one time slice, by settlement. */
export interface ThroughputBucket {
  /** Start of the slice (ms since the epoch). */
  start: number;
  counts: Record<Settlement, number>;
}

const empty = (): Record<Settlement, number> => ({
  ok: 0,
  'dead-lettered': 0,
  cancelled: 0,
  retried: 0,
  'handed-over': 0,
  error: 0,
});

/** Counts of finished messages in fixed time slices over the last minutes, for the status page's chart. */
export class Throughput {
  private readonly buckets = new Map<number, Record<Settlement, number>>();

  /**
   * @param bucketMs width of a slice. @default 10000
   * @param spanMs how far back it remembers. @default 600000 (ten minutes)
   */
  constructor(
    readonly bucketMs = 10_000,
    readonly spanMs = 600_000,
  ) {}

  add(settlement: Settlement, at: number): void {
    const start = this.sliceOf(at);
    const counts = this.buckets.get(start) ?? empty();
    counts[settlement] += 1;
    this.buckets.set(start, counts);
    this.prune(at);
  }

  /** Every slice of the span up to `now`, oldest first, empty ones included. */
  series(now: number): ThroughputBucket[] {
    this.prune(now);
    const last = this.sliceOf(now);
    const count = Math.ceil(this.spanMs / this.bucketMs);
    return Array.from({ length: count }, (_, i) => {
      const start = last - (count - 1 - i) * this.bucketMs;
      return { start, counts: { ...(this.buckets.get(start) ?? empty()) } };
    });
  }

  private sliceOf(at: number): number {
    return Math.floor(at / this.bucketMs) * this.bucketMs;
  }

  private prune(now: number): void {
    const oldest = this.sliceOf(now) - this.spanMs;
    for (const start of this.buckets.keys()) if (start <= oldest) this.buckets.delete(start);
  }
}
