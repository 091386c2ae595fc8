import { EventEmitter } from 'node:events';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { DispatchError } from '../errors.js';
import type { TlsFiles } from '../tls.js';
import type { EngineSpec } from './address.js';
import { classifyDockerError, dockerStatus } from './classify.js';
import { Engine } from './engine.js';
import { EngineMonitor, type MonitorOptions } from './engine-monitor.js';
import { checkedInspect } from './inspect-shape.js';
import { LABELS } from './labels.js';

/** A container found on one engine of the pool. */
export interface LocatedContainer {
  engine: Engine;
  container: Docker.Container;
  info: Docker.ContainerInspectInfo;
}

/** A container an earlier attempt at the same message created. */
export interface EarlierContainer {
  engine: Engine;
  id: string;
  /** Docker's state: created, running, paused, restarting, removing, exited or dead. */
  state: string;
  /** Without the leading slash, when the look-up gave it. */
  name?: string;
}

/** How long a new container's create event may take to name it before the engine is asked (an inspect). */
const NAME_WAIT_MS = 2000;

export interface PoolOptions {
  /** Health and inventory of each engine: see EngineMonitor. */
  monitor: Omit<MonitorOptions, 'log'>;
  log: Logger;
  defaultTls?: TlsFiles;
}

/**
 * The engines a worker dispatches to, each followed by its EngineMonitor (health and inventory), and what is asked of
 * all of them: look-ups of existing containers, the engine list for reload, and what the hosts reply and the HTTP side
 * show. Emits `healthy` with the number of healthy engines when it changes, and `inventory` when any engine's
 * inventory changes (placement waits on it for room).
 */
export class EnginePool extends EventEmitter {
  private active: EngineMonitor[] = [];
  /** Why a first delivery's look-up last passed over an engine's inventory: logged once per change, not per message. */
  private readonly lookupNotes = new WeakMap<EngineMonitor, 'quarantined' | 'unsynced'>();

  constructor(
    engines: readonly Engine[],
    private readonly options: PoolOptions,
    healthyAtStart: (engine: Engine) => boolean = () => true,
  ) {
    super();
    if (engines.length === 0) throw new Error('an engine pool needs at least one engine');
    this.setMaxListeners(0);
    this.active = engines.map((engine) => this.monitor(engine, healthyAtStart(engine)));
  }

  /** Starts every engine's loop: pings, then its event stream and list. */
  start(): void {
    for (const monitor of this.active) monitor.start();
  }

  stop(): void {
    for (const monitor of this.active) monitor.stop();
  }

  /** The engines that take work (a reload may remove some). */
  get engines(): readonly Engine[] {
    return this.active.map((m) => m.engine);
  }

  /** Each engine's loop, in pool order: health, inventory, version. */
  get monitors(): readonly EngineMonitor[] {
    return this.active;
  }

  /** The loop of an engine of the pool; undefined for one a reload removed (work in flight may still use it). */
  monitorOf(engine: Engine): EngineMonitor | undefined {
    return this.active.find((m) => m.engine === engine);
  }

  get healthyCount(): number {
    return this.active.filter((m) => m.healthy).length;
  }

  isHealthy(engine: Engine): boolean {
    return this.monitorOf(engine)?.healthy ?? false;
  }

  /** Counts a call that could not reach the engine against its health. */
  reportUnavailable(engine: Engine, reason: string): void {
    this.monitorOf(engine)?.reportFailure(reason);
  }

  /**
   * Resolves once every engine's inventory is synced, or `timeoutMs` passed (then some are not); a quarantined engine
   * is not waited for.
   */
  async whenSynced(timeoutMs: number): Promise<void> {
    await Promise.all(this.active.map((m) => m.whenSynced(timeoutMs)));
  }

  /**
   * Replaces the engine list (a reload): new engines join (followed from now), removed ones stop taking new work,
   * changed ones get a new client and loop. Work in flight keeps the engine objects it has. Returns what changed.
   */
  update(
    specs: readonly EngineSpec[],
    healthyAtStart: (engine: Engine) => boolean,
  ): { added: string[]; removed: string[]; changed: string[] } {
    const byId = new Map(this.active.map((m) => [m.id, m]));
    const next: EngineMonitor[] = [];
    const added: string[] = [];
    const changed: string[] = [];
    for (const spec of specs) {
      const current = byId.get(spec.id);
      byId.delete(spec.id);
      if (current?.engine.sameAs(spec)) {
        next.push(current);
        continue;
      }
      if (current) {
        this.retire(current);
        changed.push(spec.id);
      } else added.push(spec.id);
      const engine = new Engine(spec, this.options.defaultTls);
      const monitor = this.monitor(engine, healthyAtStart(engine));
      monitor.start();
      next.push(monitor);
    }
    for (const gone of byId.values()) this.retire(gone);
    this.active = next;
    this.emit('healthy', this.healthyCount);
    this.emit('inventory');
    return { added, removed: [...byId.keys()], changed };
  }

  /**
   * Finds a container by exact name, full id or unique id prefix on whichever engine holds it, asking every engine
   * at once (the engine itself resolves the reference, so its rules apply).
   * Found nowhere: ContainerNotFound, unless an engine could not be asked (then it may be there: DockerUnavailable).
   * Found on several engines, or an id prefix that is ambiguous on one: Conflict.
   */
  async locate(reference: string, timeoutMs: number): Promise<LocatedContainer> {
    const lookups = await Promise.all(
      this.engines.map(async (engine) => {
        try {
          const info = checkedInspect(
            await engine.docker.getContainer(reference).inspect({ abortSignal: AbortSignal.timeout(timeoutMs) }),
            engine.id,
          );
          // Act on the full id from here on: the reference was only good for finding it.
          return { engine, found: { engine, container: engine.docker.getContainer(info.Id), info } };
        } catch (err) {
          const status = dockerStatus(err);
          if (status === 404) return { engine };
          // n.b. the engine answers 400 when an id prefix matches several of its containers.
          if (status === 400) {
            const message = `"${reference}" matches several containers on engine ${engine.id}; use a longer id or the name`;
            return { engine, failure: new DispatchError('Conflict', message, { context: { host: engine.id } }) };
          }
          return { engine, failure: classifyDockerError(err, 'inspect', engine.id) };
        }
      }),
    );
    const found = lookups.flatMap((lookup) => (lookup.found ? [lookup.found] : []));
    if (found.length > 1) {
      const where = found.map((f) => `${f.engine.id} (${f.info.Id.slice(0, 12)})`).join(', ');
      throw new DispatchError('Conflict', `"${reference}" matches containers on several engines: ${where}`);
    }
    if (found.length === 1) return found[0]!;
    const failures = lookups.flatMap((lookup) => (lookup.failure ? [lookup.failure] : []));
    const conflict = failures.find((failure) => failure.code === 'Conflict');
    if (conflict) throw conflict;
    if (failures.length > 0) {
      const unreachable = failures.map((f) => f.message).join('; ');
      throw new DispatchError('DockerUnavailable', `cannot tell where container "${reference}" is: ${unreachable}`, {
        cause: failures[0],
      });
    }
    throw new DispatchError(
      'ContainerNotFound',
      `no container "${reference}" on any engine (${this.engines.map((e) => e.id).join(', ')})`,
    );
  }

  /**
   * The container an earlier attempt at a message left (labelled with its identity and queue), the newest if several,
   * so a redelivered or retried message adopts it instead of starting a second one.
   *
   * For a first delivery the inventories answer (no call); a quarantined engine is skipped (it may not answer within
   * the request timeout), and one whose inventory is not synced is listed; one that cannot be asked is skipped with a
   * warning, so one engine down does not stop every run. For a message seen before (`authoritative`) every engine is
   * listed: a container found on any engine that answered is adopted, and only "found on none that answered, while
   * some could not be asked" is DockerUnavailable (it may be on those).
   */
  async findEarlier(
    identity: string,
    queue: string,
    { authoritative, timeoutMs, log }: { authoritative: boolean; timeoutMs: number; log: Logger },
  ): Promise<EarlierContainer | undefined> {
    const filters = { label: [`${LABELS.messageId}=${identity}`, `${LABELS.queue}=${queue}`] };
    const unreachable: DispatchError[] = [];
    const answers = await Promise.all(
      this.active.map(async (monitor) => {
        const { engine } = monitor;
        if (!authoritative) {
          if (!monitor.healthy) {
            this.noteLookup(monitor, 'quarantined', log);
            return [];
          }
          if (monitor.synced) {
            this.lookupNotes.delete(monitor);
            return monitor.inventory
              .ofMessage(identity, queue)
              .map((e) => ({ engine, id: e.id, state: e.state, createdNs: e.createdNs }));
          }
          this.noteLookup(monitor, 'unsynced', log);
        }
        try {
          const list = await engine.docker.listContainers({
            all: true,
            filters,
            abortSignal: AbortSignal.timeout(timeoutMs),
          });
          return list.map((c) => ({ engine, id: c.Id, state: c.State, createdNs: BigInt(c.Created) * 1_000_000_000n }));
        } catch (err) {
          const error = classifyDockerError(err, 'list', engine.id);
          unreachable.push(error);
          if (!authoritative) {
            log.warn(
              { host: engine.id, err: error.message },
              'could not look for an earlier container on this engine: skipped for ' +
                'this first delivery (check that its daemon runs and is reachable)',
            );
          }
          return [];
        }
      }),
    );
    const found = answers.flat().sort((x, y) => (y.createdNs > x.createdNs ? 1 : y.createdNs < x.createdNs ? -1 : 0));
    if (found.length > 1) {
      log.warn(
        { containers: found.map((c) => `${c.engine.id}/${c.id.slice(0, 12)}`) },
        'several containers carry this message id; adopting the newest (remove the others by hand if they are not needed)',
      );
    }
    const [newest] = found;
    if (newest) return { engine: newest.engine, id: newest.id, state: newest.state };
    if (authoritative && unreachable.length > 0) {
      throw new DispatchError(
        'DockerUnavailable',
        `cannot tell whether an earlier attempt left a container: ${unreachable.map((e) => e.message).join('; ')}`,
        {
          cause: unreachable[0],
        },
      );
    }
    return undefined;
  }

  /**
   * Every container of a message on the queue (its own, or an instance of it), asking every engine: for a cancel,
   * which must find the message's containers wherever they are. Engines that cannot be asked are in `unreachable`.
   */
  async containersOf(
    identity: string,
    queue: string,
    timeoutMs: number,
  ): Promise<{ found: EarlierContainer[]; unreachable: DispatchError[] }> {
    const unreachable: DispatchError[] = [];
    const answers = await Promise.all(
      this.engines.map(async (engine) => {
        try {
          const list = await engine.docker.listContainers({
            all: true,
            filters: { label: [`${LABELS.queue}=${queue}`] },
            abortSignal: AbortSignal.timeout(timeoutMs),
          });
          return list
            .filter((c) => c.Labels?.[LABELS.messageId] === identity || c.Labels?.[LABELS.instanceOf] === identity)
            .map((c) => ({ engine, id: c.Id, state: c.State, name: c.Names?.[0]?.replace(/^\//, '') }));
        } catch (err) {
          unreachable.push(classifyDockerError(err, 'list', engine.id));
          return [];
        }
      }),
    );
    return { found: answers.flat(), unreachable };
  }

  /**
   * Says why a first delivery's look-up passes over an engine's inventory: a warning the first time in a row, then
   * debug, so an engine down or unsynced for hours does not write a warning per message.
   */
  private noteLookup(monitor: EngineMonitor, why: 'quarantined' | 'unsynced', log: Logger): void {
    const first = this.lookupNotes.get(monitor) !== why;
    this.lookupNotes.set(monitor, why);
    const fields = { host: monitor.id, reason: monitor.reason };
    const message =
      why === 'quarantined'
        ? `engine ${monitor.id} is quarantined: first deliveries do not look for earlier containers there`
        : `engine ${monitor.id}'s inventory is not synced: first deliveries list it to look for earlier containers`;
    if (first) log.warn(fields, `${message} (said once until that changes)`);
    else log.debug(fields, message);
  }

  /**
   * A container's name (without the slash): from its engine's inventory, which the create event names it in, when the
   * inventory follows the engine; else, or if the event is slow, from an inspect.
   */
  async nameOf(engine: Engine, container: Docker.Container, timeoutMs: number): Promise<string> {
    const monitor = this.monitorOf(engine);
    if (monitor?.synced) {
      const entry = await monitor.inventory.whenNamed(container.id, NAME_WAIT_MS);
      if (entry) return entry.name;
    }
    const info = checkedInspect(await container.inspect({ abortSignal: AbortSignal.timeout(timeoutMs) }), engine.id);
    return info.Name.replace(/^\//, '');
  }

  /** Each engine as the hosts command reports it, from its loop: no call to any engine. */
  snapshot() {
    return this.active.map((monitor) => {
      const { engine } = monitor;
      const version = monitor.version;
      return {
        Name: engine.id,
        Address: engine.spec.written,
        Labels: { ...engine.spec.labels },
        Healthy: monitor.healthy,
        Running: monitor.running,
        ...(engine.spec.maxContainers === undefined ? {} : { Capacity: engine.spec.maxContainers }),
        ...(version === undefined ? {} : { Version: version.version, Vendor: version.vendor }),
      };
    });
  }

  private monitor(engine: Engine, healthy: boolean): EngineMonitor {
    const monitor = new EngineMonitor(engine, { ...this.options.monitor, log: this.options.log }, healthy);
    monitor.on('health', () => this.emit('healthy', this.healthyCount));
    monitor.on('inventory', () => this.emit('inventory'));
    return monitor;
  }

  /** Stops an engine's loop once a reload removed or replaced it; work in flight there finishes with the engine it has. */
  private retire(monitor: EngineMonitor): void {
    monitor.stop();
    monitor.removeAllListeners();
  }
}
