/** A cancel of one message, as every worker on the queue learns of it (from the cancel stream). */
export interface CancelRecord {
  /** The identity of the message cancelled: its message_id, else its correlation_id. */
  messageId: string;
  /** Seconds a running container gets between SIGTERM and SIGKILL. */
  timeSeconds: number;
  /** When the cancel was made (ms since the epoch). */
  at: number;
}

/** How long a cancel holds: a message delivered later than this after its cancel is carried out. */
export const CANCEL_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Most cancels remembered at once; the oldest are forgotten first (and a warning says so). */
const MAX_CANCELS = 100_000;

/**
 * The cancels of the last 24 hours, by message identity: a message named here is answered Cancelled when it comes,
 * however late (within the retention) and to whichever worker. Filled from the cancel stream, which every worker reads
 * from 24 hours back when it starts; nothing here is state another worker needs.
 */
export class CancelRegistry {
  private readonly byIdentity = new Map<string, CancelRecord>();

  constructor(
    private readonly retentionMs = CANCEL_RETENTION_MS,
    private readonly maxEntries = MAX_CANCELS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Notes a cancel; false when it is too old to hold, or already known. */
  add(record: CancelRecord): boolean {
    this.prune();
    if (record.at < this.now() - this.retentionMs || this.byIdentity.has(record.messageId)) return false;
    this.byIdentity.set(record.messageId, record);
    while (this.byIdentity.size > this.maxEntries) this.byIdentity.delete(this.byIdentity.keys().next().value!);
    return true;
  }

  /** The cancel of a message, if one holds. */
  get(identity: string): CancelRecord | undefined {
    const record = this.byIdentity.get(identity);
    return record && record.at >= this.now() - this.retentionMs ? record : undefined;
  }

  get size(): number {
    return this.byIdentity.size;
  }

  private prune(): void {
    const oldest = this.now() - this.retentionMs;
    for (const [identity, { at }] of this.byIdentity) {
      if (at >= oldest) break; // n.b. insertion order is close to age order; a late straggler is pruned by get()
      this.byIdentity.delete(identity);
    }
  }
}
