import { LABELS } from './labels.js';

/** Docker's container states, as lists and inspects name them. */
export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** One docker-dispatch container an engine holds, as the inventory knows it. */
export interface InventoryEntry {
  id: string;
  /** Without the leading slash; empty until the engine has said it (a container just created by this worker). */
  name: string;
  /** `docker-dispatch.message-id`. */
  messageId: string | undefined;
  /** `docker-dispatch.queue`. */
  queue: string | undefined;
  state: ContainerState;
  /** When the engine created it, in nanoseconds since the epoch (a list gives seconds only). */
  createdNs: bigint;
  /**
   * Where its create event came in the engine's event stream: 1, 2, … in the engine's own order, which every worker
   * sees alike; 0 when it is known only from a list (created before the stream's start); undefined for a container this
   * worker just created, until its create event comes.
   */
  createdSeq?: number;
}

/** A container as `GET /containers/json` lists it. */
export interface ListedContainer {
  Id: string;
  Names?: string[] | null;
  State?: string;
  Created?: number;
  Labels?: Record<string, string> | null;
}

/** A container event as `GET /events` streams it (Docker and Podman alike). */
export interface ContainerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> | null };
  time?: number;
  timeNano?: number;
}

/** A container created less than this ago and not started yet counts as about to run (a run between create and start). */
export const STARTING_WINDOW_NS = 60n * 1_000_000_000n;

const STATES = new Set<string>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);

/** What each event action makes of a container's state; actions not named here change nothing the worker uses. */
const STATE_AFTER: Readonly<Record<string, ContainerState>> = {
  create: 'created',
  start: 'running',
  restart: 'running',
  unpause: 'running',
  pause: 'paused',
  die: 'exited',
};

/**
 * The docker-dispatch containers of one engine (label `docker-dispatch.managed=true`), kept from one list and then the
 * engine's event stream. Pure bookkeeping: the engine monitor feeds it, placement and look-ups read it.
 *
 * n.b. events are applied in the engine's order on top of a list taken after the stream started: replaying an event
 * the list already reflects ends in the same state, so none is lost and none is counted twice.
 */
export class Inventory {
  private readonly byId = new Map<string, InventoryEntry>();
  /** Callers waiting for a container's entry to be ready (named, or placed in the stream), by container id. */
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** The last create event's place in the stream (see InventoryEntry.createdSeq). */
  private sequence = 0;

  /** Replaces everything with what a list says (a resync); what the stream said of their order is kept. */
  replace(listed: readonly ListedContainer[]): void {
    const before = new Map(this.byId);
    this.byId.clear();
    for (const container of listed) {
      const labels = container.Labels ?? {};
      if (labels[LABELS.managed] !== 'true' || typeof container.Id !== 'string') continue;
      const known = before.get(container.Id);
      this.put({
        id: container.Id,
        name: (container.Names?.[0] ?? '').replace(/^\//, ''),
        messageId: labels[LABELS.messageId],
        queue: labels[LABELS.queue],
        state: STATES.has(container.State ?? '') ? (container.State as ContainerState) : 'exited',
        createdNs: BigInt(Math.floor(container.Created ?? 0)) * 1_000_000_000n,
        // n.b. one this worker created whose event has not come yet counts as before every other until it comes.
        createdSeq: known?.createdSeq ?? 0,
      });
    }
  }

  /** Applies one event of the engine's stream; other types and other containers' events are ignored. */
  apply(event: ContainerEvent): void {
    if (event.Type !== undefined && event.Type !== 'container') return;
    const id = event.Actor?.ID ?? event.id;
    const action = (event.Action ?? event.status ?? '').split(':')[0]!;
    if (typeof id !== 'string' || id === '') return;
    const attributes = event.Actor?.Attributes ?? {};
    if (action === 'destroy' || action === 'remove') {
      this.byId.delete(id);
      return;
    }
    const known = this.byId.get(id);
    if (!known) {
      // n.b. only a create brings a container in: a start of one the list missed would carry no creation time.
      if (action !== 'create' || attributes[LABELS.managed] !== 'true') return;
      this.put({
        id,
        name: attributes.name ?? '',
        messageId: attributes[LABELS.messageId],
        queue: attributes[LABELS.queue],
        state: 'created',
        createdNs: eventTimeNs(event),
        createdSeq: ++this.sequence,
      });
      return;
    }
    if (action === 'rename' && attributes.name) known.name = attributes.name;
    if (action === 'create') {
      known.state = 'created';
      if (attributes.name) known.name = attributes.name;
      known.createdNs = eventTimeNs(event);
      // n.b. a create event replayed after a reconnect keeps the place the first one gave.
      if (!known.createdSeq) known.createdSeq = ++this.sequence;
    }
    const next = STATE_AFTER[action];
    if (next && action !== 'create') known.state = next;
    this.put(known);
  }

  /**
   * Records a container this worker just created, before the engine's event says so, so a burst of placements by one
   * worker sees its own containers at once. The event, when it comes, completes the entry (its name).
   */
  noteCreated(entry: Omit<InventoryEntry, 'state' | 'name'>): void {
    if (this.byId.has(entry.id)) return;
    this.byId.set(entry.id, { ...entry, name: '', state: 'created' });
  }

  get(id: string): InventoryEntry | undefined {
    return this.byId.get(id);
  }

  /**
   * Resolves with the entry once the engine has named the container (its create event), at once if it has, or with
   * undefined after `timeoutMs` (the caller then asks the engine).
   */
  whenNamed(id: string, timeoutMs: number): Promise<InventoryEntry | undefined> {
    return this.when(id, (entry) => entry.name !== '', timeoutMs);
  }

  /**
   * Resolves with the entry once the container's create event has come through the stream (at once if it has), or
   * with undefined after `timeoutMs`.
   */
  whenSequenced(id: string, timeoutMs: number): Promise<InventoryEntry | undefined> {
    return this.when(id, (entry) => Boolean(entry.createdSeq), timeoutMs);
  }

  /** The container's entry once `ready` holds for it (at once if it does), or undefined after `timeoutMs`. */
  private when(
    id: string,
    ready: (entry: InventoryEntry) => boolean,
    timeoutMs: number,
  ): Promise<InventoryEntry | undefined> {
    const known = this.byId.get(id);
    if (known && ready(known)) return Promise.resolve(known);
    return new Promise((resolve) => {
      const waiting = this.waiters.get(id) ?? new Set<Waiter>();
      this.waiters.set(id, waiting);
      const done = (entry: InventoryEntry | undefined) => {
        clearTimeout(timer);
        waiting.delete(waiter);
        if (waiting.size === 0 && this.waiters.get(id) === waiting) this.waiters.delete(id);
        resolve(entry);
      };
      const waiter: Waiter = { ready, done };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      waiting.add(waiter);
    });
  }

  /** Containers running, or created in the last minute and about to start: what placement counts as an engine's load. */
  load(nowNs: bigint = BigInt(Date.now()) * 1_000_000n): number {
    let count = 0;
    for (const entry of this.byId.values()) if (countsAsLoad(entry, nowNs)) count += 1;
    return count;
  }

  /**
   * The load (as `load` counts it) of the containers created before `id` in the engine's order of create events: those
   * whose event came earlier, and those known only from a list. Undefined until `id`'s own create event has come.
   * n.b. a container this worker created whose event has not come yet came after `id`: the stream is in order.
   */
  loadBefore(id: string, nowNs: bigint = BigInt(Date.now()) * 1_000_000n): number | undefined {
    const place = this.byId.get(id)?.createdSeq;
    if (!place) return undefined;
    let count = 0;
    for (const entry of this.byId.values()) {
      if (entry.id !== id && entry.createdSeq !== undefined && entry.createdSeq < place && countsAsLoad(entry, nowNs))
        count += 1;
    }
    return count;
  }

  /** Containers running now. */
  running(): number {
    let count = 0;
    for (const entry of this.byId.values()) if (entry.state === 'running' || entry.state === 'restarting') count += 1;
    return count;
  }

  /** The containers a message (by its identity) left for a queue. */
  ofMessage(messageId: string, queue: string): InventoryEntry[] {
    return [...this.byId.values()].filter((e) => e.messageId === messageId && e.queue === queue);
  }

  /** How many containers of a queue are in each state. */
  statesOf(queue: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.byId.values())
      if (entry.queue === queue) counts[entry.state] = (counts[entry.state] ?? 0) + 1;
    return counts;
  }

  get size(): number {
    return this.byId.size;
  }

  private put(entry: InventoryEntry): void {
    this.byId.set(entry.id, entry);
    for (const waiter of this.waiters.get(entry.id) ?? []) if (waiter.ready(entry)) waiter.done(entry);
  }
}

interface Waiter {
  ready: (entry: InventoryEntry) => boolean;
  done: (entry: InventoryEntry | undefined) => void;
}

/** Running, or created in the last minute and about to start. */
function countsAsLoad(entry: InventoryEntry, nowNs: bigint): boolean {
  return (
    entry.state === 'running' ||
    entry.state === 'restarting' ||
    (entry.state === 'created' && entry.createdNs >= nowNs - STARTING_WINDOW_NS)
  );
}

function eventTimeNs(event: ContainerEvent): bigint {
  if (typeof event.timeNano === 'number' && Number.isFinite(event.timeNano)) return BigInt(Math.floor(event.timeNano));
  return BigInt(Math.floor(event.time ?? Date.now() / 1000)) * 1_000_000_000n;
}
