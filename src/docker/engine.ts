import Docker from 'dockerode';
import type { EngineAddress, EngineSpec } from './address.js';

/** One Docker engine of the pool: its id (as in replies and logs) and a dockerode client for it. */
export class Engine {
  readonly id: string;
  readonly docker: Docker;

  constructor(readonly spec: EngineSpec) {
    this.id = spec.id;
    // n.b. no `timeout`: dockerode's is a socket idle timeout that would also cut long waits and attaches.
    this.docker = new Docker(dockerOptions(spec.address));
  }

  /** Resolves when the engine answers `/_ping` within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<void> {
    // @types/dockerode lacks the options argument dockerode takes.
    const ping = this.docker.ping.bind(this.docker) as (options: { abortSignal: AbortSignal }) => Promise<unknown>;
    await ping({ abortSignal: AbortSignal.timeout(timeoutMs) });
  }
}

function dockerOptions(address: EngineAddress): Docker.DockerOptions {
  if (address.kind === 'socket') return { socketPath: address.socketPath };
  return { protocol: address.protocol, host: address.host, port: address.port };
}
