import type Docker from 'dockerode';
import { DispatchError } from '../errors.js';
import { classifyDockerError } from './classify.js';
import type { Engine } from './engine.js';

/** A container found on one engine of the pool. */
export interface LocatedContainer {
  engine: Engine;
  container: Docker.Container;
  info: Docker.ContainerInspectInfo;
}

/** The engines a worker dispatches to: placement for new containers, lookup for existing ones. */
export class EnginePool {
  private next = 0;

  constructor(readonly engines: readonly Engine[]) {
    if (engines.length === 0) throw new Error('an engine pool needs at least one engine');
  }

  /**
   * Engines in the order a new container should try them: round-robin, so each call starts one engine further on;
   * the rest follow for fail-over when the first cannot be reached.
   */
  placementOrder(): Engine[] {
    const start = this.next;
    this.next = (this.next + 1) % this.engines.length;
    return this.engines.map((_, i) => this.engines[(start + i) % this.engines.length]!);
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
          const info = await engine.docker.getContainer(reference).inspect({ abortSignal: AbortSignal.timeout(timeoutMs) });
          // Act on the full id from here on: the reference was only good for finding it.
          return { engine, found: { engine, container: engine.docker.getContainer(info.Id), info } };
        } catch (err) {
          const status = (err as { statusCode?: number }).statusCode;
          if (status === 404) return { engine };
          // n.b. the engine answers 400 when an id prefix matches several of its containers.
          if (status === 400) {
            return { engine, failure: new DispatchError('Conflict', `"${reference}" matches several containers on engine ${engine.id}; use a longer id or the name`, { context: { host: engine.id } }) };
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
}
