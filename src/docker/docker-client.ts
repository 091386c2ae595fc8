import { createRequire } from 'node:module';
import Modem from 'docker-modem';
import type Docker from 'dockerode';

const require = createRequire(import.meta.url);

// dockerode's own Container and Image classes, on a docker-modem of our own. Not dockerode's entry point: it loads
// BuildKit session support (@grpc/grpc-js, @grpc/proto-loader, protobufjs) at start-up, about 7 MB of resident
// memory in every worker, for image builds the worker never does.
const Container = require('dockerode/lib/container') as new (modem: Modem, id: string) => Docker.Container;
const Image = require('dockerode/lib/image') as new (modem: Modem, name: string) => Docker.Image;

interface Cancellable {
  abortSignal?: AbortSignal;
}

/**
 * The part of dockerode's Docker class the worker uses, with the same requests, answers and errors as dockerode's
 * (the method bodies follow dockerode 4's lib/docker.js), so containers and images are dockerode's own objects.
 */
export class DockerClient {
  readonly modem: Modem;

  constructor(options: Docker.DockerOptions) {
    this.modem = new Modem(options);
    // n.b. dockerode's Container and Image make their promises with the modem's Promise, which dockerode sets.
    (this.modem as Modem & { Promise: PromiseConstructor }).Promise = Promise;
  }

  getContainer(id: string): Docker.Container {
    return new Container(this.modem, id);
  }

  getImage(name: string): Docker.Image {
    return new Image(this.modem, name);
  }

  listContainers(options: Docker.ContainerListOptions & Cancellable = {}): Promise<Docker.ContainerInfo[]> {
    const statusCodes = { 200: true, 400: 'bad parameter', 500: 'server error' };
    return this.dial({ path: '/containers/json?', method: 'GET', options, abortSignal: options.abortSignal, statusCodes });
  }

  listImages(options: Docker.ListImagesOptions & Cancellable = {}): Promise<Docker.ImageInfo[]> {
    const statusCodes = { 200: true, 400: 'bad parameter', 500: 'server error' };
    return this.dial({ path: '/images/json?', method: 'GET', options, abortSignal: options.abortSignal, statusCodes });
  }

  async createContainer(options: Docker.ContainerCreateOptions & Cancellable): Promise<Docker.Container> {
    const { abortSignal, ...body } = options;
    const created = await this.dial<{ Id: string }>({
      path: '/containers/create?',
      method: 'POST',
      options: body,
      abortSignal,
      // n.b. dockerode's statuses and texts: its "no such container" for a 404 means a missing image.
      statusCodes: { 200: true, 201: true, 400: 'bad parameter', 404: 'no such container', 406: 'impossible to attach', 500: 'server error' },
    });
    return this.getContainer(created.Id);
  }

  /** `POST /images/create`: resolves with the progress stream, which the caller reads to its end. */
  pull(image: string, { authconfig, abortSignal }: { authconfig?: object } & Cancellable = {}): Promise<NodeJS.ReadableStream> {
    const { repository, tag } = parseRepositoryTag(image);
    return this.dial({
      path: '/images/create?',
      method: 'POST',
      options: { fromImage: repository, tag: tag ?? 'latest' },
      authconfig,
      abortSignal,
      isStream: true,
      statusCodes: { 200: true, 500: 'server error' },
    });
  }

  ping(options: Cancellable = {}): Promise<unknown> {
    return this.dial({ path: '/_ping', method: 'GET', abortSignal: options.abortSignal, statusCodes: { 200: true, 500: 'server error' } });
  }

  version(options: Cancellable = {}): Promise<Docker.DockerVersion> {
    return this.dial({ path: '/version', method: 'GET', abortSignal: options.abortSignal, statusCodes: { 200: true, 500: 'server error' } });
  }

  private dial<T>(options: Modem.DialOptions & Cancellable): Promise<T> {
    return new Promise((resolve, reject) => {
      this.modem.dial(options, (err, data) => (err ? reject(err) : resolve(data as T)));
    });
  }
}

/**
 * Splits `name[:tag]` or `name@digest` as dockerode does (a colon followed by a slash is a registry port, not a tag).
 */
export function parseRepositoryTag(input: string): { repository: string; tag?: string } {
  const digestAt = input.indexOf('@');
  const separator = digestAt >= 0 ? digestAt : input.lastIndexOf(':');
  if (separator < 0) return { repository: input };
  const tag = input.slice(separator + 1);
  return tag.includes('/') ? { repository: input } : { repository: input.slice(0, separator), tag };
}

/** An engine's RFC 3339 creation time (`2026-12-02T17:36:06.123456789Z`) in nanoseconds since the epoch. */
export function createdNanos(created: string): bigint {
  const match = /^(.*?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(created);
  if (!match) throw new Error(`unexpected creation time ${created}`);
  const seconds = BigInt(Date.parse(`${match[1]}${match[3]}`)) / 1000n;
  return seconds * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}
