import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Engine, EngineVersion } from './engine.js';
import { Inventory, type ContainerEvent, type ListedContainer } from './inventory.js';
import { LABELS } from './labels.js';

export interface MonitorOptions {
  /** Between pings of a healthy engine (±20 % jitter). */
  intervalMs: number;
  /** Consecutive failures (pings, calls that could not reach the engine, a stream that cannot be held) that quarantine it. */
  quarantineAfter: number;
  /** Longest wait between probes of a quarantined engine, and between reconnects of its event stream. */
  maxBackoffMs: number;
  /**
   * Between full lists of a synced engine, in case its event stream went quiet without closing.
   * @default 300000
   */
  resyncIntervalMs?: number;
  log: Logger;
}

/** Seconds before the engine's "now" the event stream starts from, so nothing between its start and the list is lost. */
const SINCE_MARGIN_S = 5;
/** Deadline of the list that (re)builds the inventory, and of the version read. */
const LIST_TIMEOUT_MS = 10_000;

/**
 * One loop per engine: its health (one ping schedule, one state machine: healthy or quarantined) and its inventory of
 * docker-dispatch containers (a list, then Docker's event stream from just before it; when the stream drops it
 * reconnects with back-off and lists again). A stream that cannot be held counts against the engine's health like a
 * failed ping. Emits `health` (healthy: boolean) when the engine goes in or out of quarantine, and `inventory` after
 * every change of what it holds (a sync, an event).
 */
export class EngineMonitor extends EventEmitter {
  readonly inventory = new Inventory();
  private isHealthy: boolean;
  private failures: number;
  private probes = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnects = 0;
  private stream: AbortController | undefined;
  private isSynced = false;
  private unsyncedAt: number | undefined = Date.now();
  private lastReason: string | undefined;
  private stopped = false;
  /** The engine's clock minus ours, from its answers' Date header (ms; whole seconds). */
  private clockOffsetMs = 0;
  private engineVersion: EngineVersion | undefined;
  /** Events held while a list is in flight, replayed on top of it. */
  private pending: ContainerEvent[] | undefined;

  constructor(
    readonly engine: Engine,
    private readonly options: MonitorOptions,
    healthyAtStart: boolean,
  ) {
    super();
    this.isHealthy = healthyAtStart;
    this.failures = healthyAtStart ? 0 : options.quarantineAfter;
    if (!healthyAtStart) {
      this.lastReason = 'it did not answer at start-up';
      options.log.warn({ host: engine.id }, `engine ${engine.id} does not answer: quarantined until it does`);
    }
  }

  get id(): string {
    return this.engine.id;
  }

  get healthy(): boolean {
    return this.isHealthy;
  }

  /** The inventory follows the engine: listed, and its event stream held. */
  get synced(): boolean {
    return this.isSynced;
  }

  /** Since when it has not been synced (ms since the epoch); undefined while synced. */
  get unsyncedSince(): number | undefined {
    return this.unsyncedAt;
  }

  /**
   * Its docker-dispatch containers running now, from the inventory; null while it is quarantined or its inventory not
   * synced, when what the inventory holds may be stale. The hosts reply, the metrics and the status page all say this.
   */
  get running(): number | null {
    return this.isHealthy && this.isSynced ? this.inventory.running() : null;
  }

  /** Why the engine is quarantined, or its inventory not synced, in a few words. */
  get reason(): string | undefined {
    return this.isHealthy && this.isSynced ? undefined : this.lastReason;
  }

  /** Vendor and versions, read from `/version` each time the stream connects. */
  get version(): EngineVersion | undefined {
    return this.engineVersion;
  }

  start(): void {
    this.schedulePing();
    if (this.isHealthy) this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.pingTimer);
    clearTimeout(this.resyncTimer);
    clearTimeout(this.reconnectTimer);
    this.stream?.abort();
  }

  /** Counts a call that could not reach the engine (network failure, timeout, 5xx) against it. */
  reportFailure(reason: string): void {
    this.failed(reason);
  }

  /**
   * Resolves true once synced (at once if it is), false if `timeoutMs` pass first, or at once while the engine is
   * quarantined (or as soon as it is): it syncs only once it answers again, which may take minutes.
   */
  whenSynced(timeoutMs: number): Promise<boolean> {
    if (this.isSynced) return Promise.resolve(true);
    if (!this.isHealthy) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (synced: boolean) => {
        clearTimeout(timer);
        this.off('inventory', onChange);
        this.off('health', onHealth);
        resolve(synced);
      };
      const onChange = () => this.isSynced && done(true);
      const onHealth = (healthy: boolean) => !healthy && done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      timer.unref();
      this.on('inventory', onChange);
      this.on('health', onHealth);
    });
  }

  private schedulePing(): void {
    if (this.stopped) return;
    const { intervalMs, maxBackoffMs } = this.options;
    const base = this.isHealthy ? intervalMs : Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(this.probes, 10));
    this.pingTimer = setTimeout(() => void this.probe(), base * (0.8 + Math.random() * 0.4));
    this.pingTimer.unref();
  }

  private async probe(): Promise<void> {
    try {
      const { date } = await this.engine.ping(Math.min(5000, this.options.intervalMs));
      if (date !== undefined) this.clockOffsetMs = date - Date.now();
      this.succeeded();
    } catch (err) {
      if (!this.isHealthy) this.probes += 1;
      this.failed((err as Error).message);
    }
    if (!this.stopped) this.schedulePing();
  }

  private succeeded(): void {
    this.failures = 0;
    this.probes = 0;
    if (this.isHealthy) return;
    this.isHealthy = true;
    this.options.log.info({ host: this.id }, `engine ${this.id} answers again: it takes new work`);
    this.emit('health', true);
    if (!this.stream) this.connect();
  }

  private failed(reason: string): void {
    this.failures += 1;
    this.lastReason = reason;
    if (!this.isHealthy || this.failures < this.options.quarantineAfter) return;
    this.isHealthy = false;
    this.options.log.warn(
      { host: this.id, failures: this.failures, reason },
      `engine ${this.id} quarantined after ${this.failures} failures: no new work goes there until it answers again`,
    );
    // n.b. a stream to an engine that stopped answering may never notice: drop it, and list again once it is back.
    this.stream?.abort();
    this.emit('health', false);
  }

  /** Opens the event stream, then lists: the inventory is synced once both are done and the events since replayed. */
  private connect(): void {
    if (this.stopped || this.stream) return;
    const controller = new AbortController();
    this.stream = controller;
    clearTimeout(this.reconnectTimer);
    void this.follow(controller).then(
      () => this.dropped(controller, 'the event stream ended'),
      (err: unknown) => this.dropped(controller, (err as Error).message),
    );
  }

  private async follow(controller: AbortController): Promise<void> {
    const since = Math.floor((Date.now() + this.clockOffsetMs) / 1000) - SINCE_MARGIN_S;
    // n.b. events are held from the first one on, until the list is in: then replayed on top of it.
    this.pending = [];
    const response = await this.engine.events({ since, labels: [`${LABELS.managed}=true`] }, controller.signal);
    (response.socket as Socket | null)?.setKeepAlive?.(true, 10_000);
    const finished = readEvents(response, (event) => this.stream === controller && this.onEvent(event));
    finished.catch(() => undefined);
    const [version] = await Promise.all([
      this.engine.describe(LIST_TIMEOUT_MS).catch(() => this.engineVersion),
      this.resync(),
    ]);
    this.engineVersion = version;
    this.reconnects = 0;
    this.scheduleResync(controller);
    await finished;
  }

  private onEvent(event: ContainerEvent): void {
    if (this.pending) {
      this.pending.push(event);
      return;
    }
    this.inventory.apply(event);
    this.emit('inventory');
  }

  /** Lists the engine's containers and replays the events that came meanwhile on top: synced. */
  private async resync(): Promise<void> {
    this.pending ??= [];
    try {
      const list = (await this.engine.docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.managed}=true`] },
        abortSignal: AbortSignal.timeout(LIST_TIMEOUT_MS),
      })) as ListedContainer[];
      this.inventory.replace(list);
      for (const event of this.pending) this.inventory.apply(event);
    } finally {
      this.pending = undefined;
    }
    if (!this.isSynced) {
      this.isSynced = true;
      this.unsyncedAt = undefined;
      this.options.log.debug({ host: this.id, containers: this.inventory.size }, `engine ${this.id}: inventory synced`);
    }
    this.emit('inventory');
  }

  /** Lists again now and then while the stream holds: a stream can go quiet without closing. */
  private scheduleResync(controller: AbortController): void {
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => {
      if (this.stream !== controller) return;
      this.resync()
        .catch((err: unknown) => this.failed(`could not list its containers: ${(err as Error).message}`))
        .finally(() => this.stream === controller && this.scheduleResync(controller));
    }, this.options.resyncIntervalMs ?? 300_000);
    this.resyncTimer.unref();
  }

  private dropped(controller: AbortController, reason: string): void {
    if (this.stream !== controller) return;
    this.stream = undefined;
    const aborted = controller.signal.aborted;
    // n.b. a failed list or version read leaves the event stream open: close it, or it would go on feeding the
    // inventory beside the stream the reconnect opens.
    controller.abort();
    clearTimeout(this.resyncTimer);
    if (this.isSynced) {
      this.isSynced = false;
      this.unsyncedAt = Date.now();
      this.emit('inventory');
    }
    if (this.stopped) return;
    if (!aborted) this.failed(`its event stream failed: ${reason}`);
    this.lastReason ??= reason;
    if (!this.isHealthy) return; // reconnected when it answers again
    const delay = Math.min(this.options.maxBackoffMs, 500 * 2 ** Math.min(this.reconnects++, 10));
    this.options.log.debug(
      { host: this.id, reason, retryInMs: delay },
      `engine ${this.id}: event stream dropped; reconnecting and listing again`,
    );
    this.reconnectTimer = setTimeout(() => this.connect(), delay * (0.8 + Math.random() * 0.4));
    this.reconnectTimer.unref();
  }
}

/** Reads newline-separated JSON events to the end of the stream; rejects when the stream fails. */
function readEvents(response: IncomingMessage, onEvent: (event: ContainerEvent) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let rest = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          onEvent(JSON.parse(line) as ContainerEvent);
        } catch {
          // n.b. not an event (a stray line): nothing to learn from it.
        }
      }
    });
    response.on('end', () => resolve());
    response.on('error', reject);
    response.on('close', () => (response.complete ? resolve() : reject(new Error('the event stream was cut'))));
  });
}
