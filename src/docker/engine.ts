import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import type { EngineAddress, EngineSpec, TlsFiles } from './address.js';
import { DockerClient } from './docker-client.js';

/** Thrown when an engine's TLS files cannot be read. */
export class EngineConfigError extends Error {
  override readonly name = 'EngineConfigError';
}

/** One Docker engine of the pool: its id (as in replies and logs), its spec, and a Docker client for it. */
export class Engine {
  readonly id: string;
  readonly docker: DockerClient;

  /** `defaultTls` applies to an https:// engine that has no Tls of its own (--tls-ca, --tls-cert, --tls-key). */
  constructor(
    readonly spec: EngineSpec,
    defaultTls: TlsFiles = {},
  ) {
    this.id = spec.id;
    // n.b. no `timeout`: dockerode's is a socket idle timeout that would also cut long waits and attaches.
    this.docker = new DockerClient(dockerOptions(spec, spec.tls ?? defaultTls));
  }

  /** Resolves when the engine answers `/_ping` within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<void> {
    await this.docker.ping({ abortSignal: AbortSignal.timeout(timeoutMs) });
  }

  /** The engine's version (`/version`). */
  async version(timeoutMs: number): Promise<string> {
    return (await this.docker.version({ abortSignal: AbortSignal.timeout(timeoutMs) })).Version;
  }

  /** The same engine configuration (address, labels, capacity, TLS files)? */
  sameAs(spec: EngineSpec): boolean {
    return JSON.stringify(this.spec) === JSON.stringify(spec);
  }
}

function dockerOptions(spec: EngineSpec, tls: TlsFiles): Docker.DockerOptions {
  const address: EngineAddress = spec.address;
  if (address.kind === 'socket') return { socketPath: address.socketPath };
  const options: Docker.DockerOptions = { protocol: address.protocol, host: address.host, port: address.port };
  if (address.protocol !== 'https') return options;
  const read = (what: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new EngineConfigError(`cannot read the TLS ${what} of engine ${spec.id} (${path}): ${(err as Error).message}`);
    }
  };
  return { ...options, ca: read('CA', tls.ca), cert: read('certificate', tls.cert), key: read('key', tls.key) };
}
