import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { DispatchError } from '../errors.js';
import { classifyDockerError, dockerStatus, neverReachedEngine } from './classify.js';
import { createdNanos } from './docker-client.js';
import type { Engine } from './engine.js';
import { checkedInspect } from './inspect-shape.js';
import { LABELS } from './labels.js';
import type { EnginePool } from './pool.js';
import type { Candidate, Strategy } from './strategies/index.js';

/** What a new container asks of its engine. */
export interface PlacementRequest {
  /** Options.Host: this engine only. */
  host?: string;
  /** Options.Constraints: engines whose labels include all of these. */
  constraints?: Readonly<Record<string, string | undefined>>;
}

/** Who the container is for, so the inventory counts it at once. */
export interface PlacementOwner {
  messageId: string;
  queue: string;
}

export interface PlacementOptions {
  /** Deadline of each Engine API call placement makes itself (the capacity check's list and inspects). */
  timeoutMs: number;
  log: Logger;
  /** Gives up waiting for room (the caller no longer wants the container). */
  signal?: AbortSignal;
}

/** Longest wait for a new container's create event before its capacity check lists the engine instead. */
const CREATE_EVENT_WAIT_MS = 2000;
/** A created container younger than this is taken to be about to start (a run between its create and start). */
const STARTING_WINDOW_S = 60;
/** Longest wait for room between looks at the engines, in case an inventory missed the change that made room. */
const ROOM_RECHECK_MS = 2000;

/**
 * Where new containers go, and their creation: place (pinning, constraints, health, capacity, then the strategy,
 * counting from each engine's inventory) → create (the caller's request) → the capacity check → fail over. Counts
 * come from the inventories, so a placement asks no engine anything; only an engine with MaxContainers is asked,
 * after the create, whether the new container is within its capacity (several workers may place at the same instant).
 */
export class Placement {
  constructor(
    private readonly pool: EnginePool,
    private readonly strategy: Strategy,
  ) {}

  /**
   * Creates a container on the first engine the placement allows, failing over to the next only when one was never
   * reached (a lost answer may hide a container). Waits, unacked, while every eligible engine is full.
   */
  async create(
    request: PlacementRequest,
    owner: PlacementOwner,
    make: (engine: Engine) => Promise<Docker.Container>,
    options: PlacementOptions,
  ): Promise<{ engine: Engine; container: Docker.Container }> {
    const { log } = options;
    for (;;) {
      let lastFailure: DispatchError | undefined;
      for (const engine of await this.order(request, options)) {
        let container: Docker.Container;
        try {
          container = await make(engine);
        } catch (err) {
          // n.b. a create cut short by its job (a cancel, a hand-over) says nothing of the engine's health.
          if (options.signal?.aborted) throw options.signal.reason;
          lastFailure = classifyDockerError(err, 'create', engine.id);
          // Network failures, timeouts and 5xx count against the engine's health; a 4xx is the message's doing.
          if (lastFailure.code === 'DockerUnavailable') this.pool.reportUnavailable(engine, lastFailure.message);
          // n.b. only a request that never reached the engine may go elsewhere: a lost answer may hide a container.
          if (!neverReachedEngine(err)) throw lastFailure;
          log.warn({ host: engine.id, err: lastFailure.message }, 'engine unreachable, trying the next one');
          continue;
        }
        this.pool
          .monitorOf(engine)
          ?.inventory.noteCreated({ id: container.id, ...owner, createdNs: BigInt(Date.now()) * 1_000_000n });
        if (await this.withinCapacity(engine, container, options.timeoutMs)) return { engine, container };
        await container
          .remove({ force: true, v: true, abortSignal: AbortSignal.timeout(options.timeoutMs) })
          .catch((err: unknown) => {
            if (dockerStatus(err) === 404) return; // gone already: what was wanted
            log.warn(
              { host: engine.id, container: container.id, err },
              "could not remove a container over the engine's capacity: remove it by hand (docker rm)",
            );
          });
        log.info({ host: engine.id }, 'another worker took the last place on this engine: placing again');
        lastFailure = undefined;
        break;
      }
      if (lastFailure) throw lastFailure;
    }
  }

  /**
   * The engines a new container should try, in order: those the request allows, healthy, with room under their
   * MaxContainers, ordered by the strategy. While every eligible engine is full it waits for an inventory to change.
   */
  private async order(request: PlacementRequest, { log, signal, timeoutMs }: PlacementOptions): Promise<Engine[]> {
    let waiting = false;
    for (;;) {
      signal?.throwIfAborted();
      const eligible = this.eligible(request);
      const healthy = eligible.filter((e) => this.pool.isHealthy(e));
      if (healthy.length === 0) {
        throw new DispatchError(
          'DockerUnavailable',
          `no healthy engine to run on (eligible: ${eligible.map((e) => e.id).join(', ')})`,
        );
      }
      const needsCount = this.strategy.needsLoad || healthy.some((e) => e.spec.maxContainers !== undefined);
      const candidates = needsCount
        ? await this.load(healthy, timeoutMs)
        : healthy.map((engine) => ({ engine, running: 0 }));
      const withRoom = candidates.filter(
        (c) => c.engine.spec.maxContainers === undefined || c.running < c.engine.spec.maxContainers,
      );
      if (withRoom.length > 0) return this.strategy.order(withRoom);
      if (candidates.length === 0) throw new DispatchError('DockerUnavailable', 'no eligible engine answered');
      if (!waiting)
        log.info(
          { engines: candidates.map((c) => c.engine.id) },
          'every eligible engine is at its MaxContainers: waiting for room',
        );
      waiting = true;
      await this.roomMayHaveChanged(signal);
    }
  }

  /** Engines a request allows: the pinned one, or those whose labels match; InvalidMessage or NoMatchingHost if none. */
  private eligible({ host, constraints }: PlacementRequest): Engine[] {
    let engines = this.pool.engines;
    if (host !== undefined) {
      const pinned = engines.find((e) => e.id === host);
      if (!pinned) {
        throw new DispatchError(
          'InvalidMessage',
          `Options.Host: no engine named "${host}" (engines: ${engines.map((e) => e.id).join(', ')})`,
        );
      }
      engines = [pinned];
    }
    const wanted = Object.entries(constraints ?? {});
    if (wanted.length === 0) return [...engines];
    const matching = engines.filter((e) => wanted.every(([k, v]) => e.spec.labels[k] === v));
    if (matching.length === 0) {
      const labels = engines.map((e) => `${e.id} ${JSON.stringify(e.spec.labels)}`).join(', ');
      throw new DispatchError(
        'NoMatchingHost',
        `no engine has the labels ${JSON.stringify(constraints)} (engines: ${labels})`,
      );
    }
    return matching;
  }

  /**
   * Each engine's load from its inventory; an engine whose inventory is not synced is listed instead, and one that
   * cannot be asked is left out and counted against its health.
   */
  private async load(engines: readonly Engine[], timeoutMs: number): Promise<Candidate[]> {
    const counted = await Promise.all(
      engines.map(async (engine): Promise<Candidate[]> => {
        const monitor = this.pool.monitorOf(engine);
        if (monitor?.synced) return [{ engine, running: monitor.inventory.load() }];
        try {
          return [{ engine, running: (await listManaged(engine, timeoutMs)).length }];
        } catch (err) {
          this.pool.reportUnavailable(engine, classifyDockerError(err, 'list', engine.id).message);
          return [];
        }
      }),
    );
    return counted.flat();
  }

  /**
   * Whether a just-created container is among the first MaxContainers docker-dispatch containers on its engine, in the
   * engine's order of create events: once its own create event has come through the engine's stream, every container
   * created before it is in the inventory (the stream is in order), and every worker sees that order alike, so a
   * container is only ever weighed against those before it and at most MaxContainers survive a race. Without a synced
   * inventory (or its event within a while), the engine is listed instead.
   */
  private async withinCapacity(engine: Engine, container: Docker.Container, timeoutMs: number): Promise<boolean> {
    const max = engine.spec.maxContainers;
    if (max === undefined) return true;
    const monitor = this.pool.monitorOf(engine);
    if (monitor?.synced) {
      const { inventory } = monitor;
      const sequenced = await inventory.whenSequenced(container.id, CREATE_EVENT_WAIT_MS);
      const before = sequenced && inventory.loadBefore(container.id);
      if (before !== undefined) return before < max;
    }
    return withinCapacityListed(engine, container, timeoutMs);
  }

  /** Resolves when an inventory changes (a container exited or went away), or after a while in any case. */
  private roomMayHaveChanged(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pool.off('inventory', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ROOM_RECHECK_MS * (0.5 + Math.random()));
      this.pool.on('inventory', done);
      signal?.addEventListener('abort', done);
    });
  }
}

/**
 * The docker-dispatch containers running on an engine, or about to (created in the last minute), listed from the
 * engine itself. A container created long ago and never started does not count.
 */
async function listManaged(engine: Engine, timeoutMs: number): Promise<Docker.ContainerInfo[]> {
  // n.b. states are picked here, not with a `status` filter: Podman's `status=created` misses a container that is
  // attached but not started yet (it lists as `created`), which is exactly a run between its create and its start.
  const containers = await engine.docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.managed}=true`] },
    abortSignal: AbortSignal.timeout(timeoutMs),
  });
  const recent = Date.now() / 1000 - STARTING_WINDOW_S;
  return containers.filter((c) => c.State === 'running' || (c.State === 'created' && c.Created >= recent));
}

/**
 * The capacity check without the event stream: whether a just-created container is among the first MaxContainers
 * docker-dispatch containers the engine lists, in order of creation time (seconds from the list; ties within a second
 * ordered by the nanosecond times of an inspect, then by id). n.b. weaker than the stream's order: an engine may stamp
 * a container's creation time well before the container shows in its list (Podman does, by the time its storage
 * takes), so a worker may not yet see a container created before its own.
 */
async function withinCapacityListed(engine: Engine, container: Docker.Container, timeoutMs: number): Promise<boolean> {
  const max = engine.spec.maxContainers!;
  try {
    const managed = await listManaged(engine, timeoutMs);
    const mine = managed.find((c) => c.Id === container.id);
    if (!mine) return true;
    const before = managed.filter((c) => c.Created < mine.Created).length;
    const sameSecond = managed.filter((c) => c.Created === mine.Created);
    if (before + sameSecond.length <= max) return true;
    if (before >= max) return false;
    const precise = await Promise.all(
      sameSecond.map(async (c) => {
        try {
          const info = checkedInspect(
            await engine.docker.getContainer(c.Id).inspect({ abortSignal: AbortSignal.timeout(timeoutMs) }),
            engine.id,
          );
          return { id: c.Id, created: createdNanos(info.Created) };
        } catch (err) {
          if (dockerStatus(err) === 404) return undefined; // gone meanwhile: not in the way
          throw err;
        }
      }),
    );
    const order = precise
      .flatMap((c) => (c ? [c] : []))
      .sort((x, y) => Number(x.created - y.created) || x.id.localeCompare(y.id));
    return before + order.findIndex((c) => c.id === container.id) < max;
  } catch {
    return true; // cannot tell: the start will show whether the engine is there
  }
}
