import { EventEmitter } from 'node:events';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { DispatchError } from '../errors.js';
import type { TlsFiles, EngineSpec } from './address.js';
import { classifyDockerError } from './classify.js';
import { Engine } from './engine.js';
import { checkedInspect } from './inspect-shape.js';
import { EngineHealth } from './health.js';
import { LABELS } from './labels.js';
import type { Strategy } from './strategies/index.js';

/** A container found on one engine of the pool. */
export interface LocatedContainer {
  engine: Engine;
  container: Docker.Container;
  info: Docker.ContainerInspectInfo;
}

export interface PoolOptions {
  strategy: Strategy;
  health: EngineHealth;
  log: Logger;
  defaultTls?: TlsFiles;
}

/** What a run asks of its engine. */
export interface PlacementRequest {
  /** Options.Host: this engine only. */
  host?: string;
  /** Options.Constraints: engines whose labels include all of these. */
  constraints?: Readonly<Record<string, string | undefined>>;
}

/** A created container younger than this is taken to be about to start (a run between its create and start). */
const STARTING_WINDOW_S = 60;

/**
 * The docker-dispatch containers running on an engine, or about to (created in the last minute), counted from the
 * engine itself. A container created long ago and never started does not count.
 */
export async function countManaged(engine: Engine, timeoutMs: number): Promise<Docker.ContainerInfo[]> {
  const containers = await engine.docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.managed}=true`], status: ['running', 'created'] },
    abortSignal: AbortSignal.timeout(timeoutMs),
  });
  const recent = Date.now() / 1000 - STARTING_WINDOW_S;
  return containers.filter((c) => c.State === 'running' || c.Created >= recent);
}

/**
 * The engines a worker dispatches to: placement for new containers (pinning, constraints, health, capacity, then the
 * strategy), lookup for existing ones, and reload. Emits `healthy` with the number of healthy engines when it changes.
 */
export class EnginePool extends EventEmitter {
  private active: Engine[];

  constructor(
    engines: readonly Engine[],
    private readonly options: PoolOptions,
  ) {
    super();
    if (engines.length === 0) throw new Error('an engine pool needs at least one engine');
    this.active = [...engines];
    options.health.on('change', () => this.emit('healthy', this.healthyCount));
  }

  /** The engines that take work (a reload may remove some). */
  get engines(): readonly Engine[] {
    return this.active;
  }

  get healthyCount(): number {
    return this.active.filter((e) => this.options.health.isHealthy(e)).length;
  }

  isHealthy(engine: Engine): boolean {
    return this.options.health.isHealthy(engine);
  }

  /** Counts a call that could not reach the engine against its health. */
  reportUnavailable(engine: Engine, reason: string): void {
    this.options.health.reportFailure(engine, reason);
  }

  /**
   * Replaces the engine list (a reload): new engines join (health-checked from now), removed ones stop taking new
   * work, changed ones get a new client. Work in flight keeps the engine objects it has. Returns what changed.
   */
  update(specs: readonly EngineSpec[], healthyAtStart: (engine: Engine) => boolean): { added: string[]; removed: string[]; changed: string[] } {
    const byId = new Map(this.active.map((e) => [e.id, e]));
    const next: Engine[] = [];
    const added: string[] = [];
    const changed: string[] = [];
    for (const spec of specs) {
      const current = byId.get(spec.id);
      byId.delete(spec.id);
      if (current?.sameAs(spec)) {
        next.push(current);
        continue;
      }
      const engine = new Engine(spec, this.options.defaultTls);
      if (current) {
        this.options.health.forget(current);
        changed.push(spec.id);
      } else added.push(spec.id);
      this.options.health.watch(engine, healthyAtStart(engine));
      next.push(engine);
    }
    for (const gone of byId.values()) this.options.health.forget(gone);
    this.active = next;
    this.emit('healthy', this.healthyCount);
    return { added, removed: [...byId.keys()], changed };
  }

  /**
   * The engines a new container should try, in order: those the request allows (Options.Host, Options.Constraints),
   * healthy, with room under their MaxContainers, ordered by the strategy. Waits (polling) while every eligible engine
   * is full: the message stays unacked, neither failed nor retried.
   */
  async place(request: PlacementRequest, timeoutMs: number, log: Logger): Promise<Engine[]> {
    const eligible = this.eligible(request);
    let waiting = false;
    for (;;) {
      const healthy = eligible.filter((e) => this.options.health.isHealthy(e) && this.active.includes(e));
      if (healthy.length === 0) {
        throw new DispatchError('DockerUnavailable', `no healthy engine to run on (eligible: ${eligible.map((e) => e.id).join(', ')})`);
      }
      const needsCount = this.options.strategy.needsLoad || healthy.some((e) => e.spec.maxContainers !== undefined);
      const candidates = needsCount ? await this.load(healthy, timeoutMs) : healthy.map((engine) => ({ engine, running: 0 }));
      const withRoom = candidates.filter((c) => c.engine.spec.maxContainers === undefined || c.running < c.engine.spec.maxContainers);
      if (withRoom.length > 0) return this.options.strategy.order(withRoom);
      if (candidates.length === 0) throw new DispatchError('DockerUnavailable', 'no eligible engine answered');
      if (!waiting) log.info({ engines: candidates.map((c) => c.engine.id) }, 'every eligible engine is at its MaxContainers: waiting for room');
      waiting = true;
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 1000));
    }
  }

  /** Engines a request allows: the pinned one, or those whose labels match; InvalidMessage or NoMatchingHost if none. */
  private eligible({ host, constraints }: PlacementRequest): Engine[] {
    let engines = this.active;
    if (host !== undefined) {
      const pinned = engines.find((e) => e.id === host);
      if (!pinned) {
        throw new DispatchError('InvalidMessage', `Options.Host: no engine named "${host}" (engines: ${engines.map((e) => e.id).join(', ')})`);
      }
      engines = [pinned];
    }
    const wanted = Object.entries(constraints ?? {});
    if (wanted.length === 0) return [...engines];
    const matching = engines.filter((e) => wanted.every(([k, v]) => e.spec.labels[k] === v));
    if (matching.length === 0) {
      const labels = engines.map((e) => `${e.id} ${JSON.stringify(e.spec.labels)}`).join(', ');
      throw new DispatchError('NoMatchingHost', `no engine has the labels ${JSON.stringify(constraints)} (engines: ${labels})`);
    }
    return matching;
  }

  /** Running counts from each engine; one that cannot be asked is left out and counted against its health. */
  private async load(engines: readonly Engine[], timeoutMs: number) {
    const counted = await Promise.all(
      engines.map(async (engine) => {
        try {
          return [{ engine, running: (await countManaged(engine, timeoutMs)).length }];
        } catch (err) {
          this.reportUnavailable(engine, classifyDockerError(err, 'list', engine.id).message);
          return [];
        }
      }),
    );
    return counted.flat();
  }

  /**
   * Finds a container by exact name, full id or unique id prefix on whichever engine holds it, asking every engine
   * at once (the engine itself resolves the reference, so its rules apply).
   * Found nowhere: ContainerNotFound, unless an engine could not be asked (then it may be there: DockerUnavailable).
   * Found on several engines, or an id prefix that is ambiguous on one: Conflict.
   */
  async locate(reference: string, timeoutMs: number): Promise<LocatedContainer> {
    const lookups = await Promise.all(
      this.active.map(async (engine) => {
        try {
          const info = checkedInspect(await engine.docker.getContainer(reference).inspect({ abortSignal: AbortSignal.timeout(timeoutMs) }), engine.id);
          // Act on the full id from here on: the reference was only good for finding it.
          return { engine, found: { engine, container: engine.docker.getContainer(info.Id), info } };
        } catch (err) {
          const status = (err as { statusCode?: number }).statusCode;
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
    throw new DispatchError('ContainerNotFound', `no container "${reference}" on any engine (${this.active.map((e) => e.id).join(', ')})`);
  }

  /** Each engine as the hosts command reports it. */
  async snapshot(timeoutMs: number) {
    return Promise.all(
      this.active.map(async (engine) => {
        const healthy = this.options.health.isHealthy(engine);
        const running = healthy ? await countManaged(engine, timeoutMs).then((l) => l.filter((c) => c.State === 'running').length, () => null) : null;
        const version = healthy ? await engine.version(timeoutMs).catch(() => undefined) : undefined;
        return {
          Name: engine.id,
          Address: engine.spec.written,
          Labels: { ...engine.spec.labels },
          Healthy: healthy,
          Running: running,
          ...(engine.spec.maxContainers === undefined ? {} : { Capacity: engine.spec.maxContainers }),
          ...(version === undefined ? {} : { Version: version }),
        };
      }),
    );
  }
}
