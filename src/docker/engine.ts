import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import { withTimeout } from '../deadline.js';
import { readTlsFiles, type TlsFiles } from '../tls.js';
import type { EngineAddress, EngineSpec } from './address.js';
import { DockerClient } from './docker-client.js';

/** What an engine says it is. */
export interface EngineVersion {
  vendor: 'docker' | 'podman';
  /** The engine's own version (`20.10.24`, `4.3.1`). */
  version: string;
  apiVersion: string;
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

  /** Resolves when the engine answers `/_ping` within `timeoutMs`, with its clock (the Date header) when it sent one. */
  async ping(timeoutMs: number): Promise<{ date: number | undefined }> {
    const response = await withTimeout(timeoutMs, (abortSignal) =>
      this.docker.raw({ path: '/_ping', method: 'GET', abortSignal }),
    );
    response.resume();
    const date = Date.parse(response.headers.date ?? '');
    return { date: Number.isNaN(date) ? undefined : date };
  }

  /** Vendor and versions, from `/version`: Podman names its component "Podman Engine". */
  async describe(timeoutMs: number): Promise<EngineVersion> {
    const answer = await withTimeout(timeoutMs, (abortSignal) => this.docker.version({ abortSignal }));
    const components = (answer as { Components?: { Name?: string }[] | null }).Components ?? [];
    const vendor = components.some((c) => /podman/i.test(c.Name ?? '')) ? 'podman' : 'docker';
    return { vendor, version: answer.Version, apiVersion: answer.ApiVersion };
  }

  /** `GET /events`: container events of containers with these labels, from `since` (engine seconds) on, streamed. */
  events({ since, labels }: { since: number; labels: string[] }, abortSignal: AbortSignal): Promise<IncomingMessage> {
    return this.docker.raw({
      path: '/events?',
      method: 'GET',
      options: { since: String(since), filters: { type: ['container'], label: labels } },
      abortSignal,
    });
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
  return { ...options, ...readTlsFiles(tls, `engine ${spec.id}`) };
}
