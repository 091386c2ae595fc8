import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import type Modem from 'docker-modem';
import type Docker from 'dockerode';
import { DispatchError } from '../errors.js';

const require = createRequire(import.meta.url);

// n.b. docker-modem loads its ssh:// transport, and with it ssh2 (about 9 MB of resident memory), whatever the
// address. The worker takes no ssh:// engine (address.ts): the transport is never loaded, and this stands in for it.
const sshTransport = require.resolve('docker-modem/lib/ssh');
require.cache[sshTransport] ??= {
  id: sshTransport,
  filename: sshTransport,
  loaded: true,
  exports: () => {
    throw new Error('ssh:// engines are not supported: use unix://, tcp://, http:// or https://');
  },
} as unknown as NodeJS.Module;
const ModemClass = require('docker-modem') as typeof Modem;

// n.b. docker-modem sends its requests through lib/http.js, a fork of follow-redirects 0.0.x: it follows an engine's
// 3xx, even from a unix socket to whatever host and port the Location header names, and the redirected request's
// errors reach no listener (an uncaught exception). An engine's redirect is an answer, never an instruction: its
// requests go through Node's own http and https instead.
// n.b. and docker-modem waits forever for the end of an answer whose connection closes half-way (an engine that dies
// mid-response): it listens for the request's errors, not the response's. Such a close is made the request's error.
// n.b. a call's abort signal does not reach docker-modem (see lightenRequests): it hands the signal to Node on the
// request and again on the answer, each with stream.addAbortSignal, whose end-of-stream listeners and the dump below
// cost the worker a share of its CPU per run. The request is destroyed on abort here instead, with the AbortError
// Node's own `signal` option gives. docker-modem makes its request synchronously inside buildRequest, which sets this.
let buildingSignal: AbortSignal | undefined;
const modemHttp = require('docker-modem/lib/http') as Record<'http' | 'https', { request: unknown }>;
for (const [name, native] of [
  ['http', http],
  ['https', https],
] as const) {
  modemHttp[name].request = (options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) => {
    const signal = buildingSignal;
    buildingSignal = undefined;
    const request = native.request(options, callback);
    if (signal) abortWith(request, signal);
    request.on('response', (response) => {
      response.on('close', () => {
        if (!response.complete)
          request.emit(
            'error',
            Object.assign(new Error('the engine closed the connection before its answer was complete'), {
              code: 'ECONNRESET',
            }),
          );
      });
    });
    return request;
  };
}

/** Destroys `request` with an AbortError (as Node's `signal` request option does) when `signal` aborts first. */
function abortWith(request: http.ClientRequest, signal: AbortSignal): void {
  const abort = () =>
    request.destroy(
      Object.assign(new Error('The operation was aborted', { cause: signal.reason as unknown }), {
        name: 'AbortError',
        code: 'ABORT_ERR',
      }),
    );
  if (signal.aborted) {
    abort();
    return;
  }
  signal.addEventListener('abort', abort, { once: true });
  request.once('close', () => signal.removeEventListener('abort', abort));
}

/** What docker-modem's request dump (util.inspect of every request's options, debug on or off) shows instead. */
const inspectRequestOptions = () => '[request options]';

/** A container name (Docker's grammar, a leading slash allowed), full id or id prefix. */
const CONTAINER_REFERENCE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]{0,255}$/;
/** What an Engine API path may hold: segments of these characters, never `.` or `..` or an empty one. */
const SAFE_PATH = /^(?:\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9_.:@%+-]+)+\/?$|^\/$/;

// dockerode's own Container and Image classes, on a docker-modem of our own. Not dockerode's entry point: it loads
// BuildKit session support (@grpc/grpc-js, @grpc/proto-loader, protobufjs) at start-up, about 7 MB of resident
// memory in every worker, for image builds the worker never does.
const Container = require('dockerode/lib/container') as new (modem: Modem, id: string) => Docker.Container;
const Image = require('dockerode/lib/image') as new (modem: Modem, name: string) => Docker.Image;

interface Cancellable {
  abortSignal?: AbortSignal;
}

/** A dial's options once its abort signal is kept from docker-modem (see buildingSignal). */
interface SignalHolder {
  abortSignal?: AbortSignal;
  cancelSignal?: AbortSignal;
}

/**
 * The part of dockerode's Docker class the worker uses, with the same requests, answers and errors as dockerode's
 * (the method bodies follow dockerode 4's lib/docker.js), so containers and images are dockerode's own objects.
 */
export class DockerClient {
  readonly modem: Modem;

  constructor(options: Docker.DockerOptions) {
    this.modem = new ModemClass(options);
    // n.b. dockerode's Container and Image make their promises with the modem's Promise, which dockerode sets.
    (this.modem as Modem & { Promise: PromiseConstructor }).Promise = Promise;
    lightenRequests(this.modem);
    guardPaths(this.modem);
  }

  /**
   * A container by name, full id or id prefix. The reference goes into the request path, so anything but Docker's
   * grammar is refused here, whatever the schemas let through (InvalidMessage: it came from a message).
   */
  getContainer(reference: string): Docker.Container {
    if (!CONTAINER_REFERENCE.test(reference)) {
      throw new DispatchError(
        'InvalidMessage',
        `${JSON.stringify(reference.slice(0, 100))} is not a container name, id or id prefix`,
      );
    }
    return new Container(this.modem, encodeURIComponent(reference.replace(/^\//, '')));
  }

  /**
   * An image by reference, encoded whole into the path (slashes, the tag's colon and the digest's @ included: Docker
   * and Podman decode it), so no name can reach another endpoint; the path guard stays behind it.
   */
  getImage(name: string): Docker.Image {
    return new Image(this.modem, encodeURIComponent(name));
  }

  listContainers(options: Docker.ContainerListOptions & Cancellable = {}): Promise<Docker.ContainerInfo[]> {
    const statusCodes = { 200: true, 400: 'bad parameter', 500: 'server error' };
    return this.dial({
      path: '/containers/json?',
      method: 'GET',
      options,
      abortSignal: options.abortSignal,
      statusCodes,
    });
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
      statusCodes: {
        200: true,
        201: true,
        400: 'bad parameter',
        404: 'no such container',
        406: 'impossible to attach',
        500: 'server error',
      },
    });
    return this.getContainer(created.Id);
  }

  /** `POST /images/create`: resolves with the progress stream, which the caller reads to its end. */
  pull(
    image: string,
    { authconfig, abortSignal }: { authconfig?: object } & Cancellable = {},
  ): Promise<NodeJS.ReadableStream> {
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
    return this.dial({
      path: '/_ping',
      method: 'GET',
      abortSignal: options.abortSignal,
      statusCodes: { 200: true, 500: 'server error' },
    });
  }

  /** A request whose answer is read as a stream, with its headers: `/_ping` for the engine's clock, `/events`. */
  raw(options: Pick<Modem.DialOptions, 'path' | 'method' | 'options'> & Cancellable): Promise<IncomingMessage> {
    return this.dial({
      ...options,
      isStream: true,
      statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
    });
  }

  version(options: Cancellable = {}): Promise<Docker.DockerVersion> {
    return this.dial({
      path: '/version',
      method: 'GET',
      abortSignal: options.abortSignal,
      statusCodes: { 200: true, 500: 'server error' },
    });
  }

  private dial<T>(options: Modem.DialOptions & Cancellable): Promise<T> {
    return new Promise((resolve, reject) => {
      this.modem.dial(options, (err, data) => (err ? reject(err) : resolve(data as T)));
    });
  }
}

/**
 * Makes the modem refuse a request whose path could reach another endpoint than the one it names (`..`, an empty
 * segment, characters a reference never has): the second guard behind the schemas and getContainer.
 */
function guardPaths(modem: Modem): void {
  const dial = modem.dial.bind(modem);
  modem.dial = (options, callback) => {
    const path = String(options.path ?? '').split('?')[0]!;
    if (!SAFE_PATH.test(path)) {
      callback?.(
        new DispatchError(
          'InvalidMessage',
          `refused to call the engine at ${JSON.stringify(path.slice(0, 200))}: not a path the worker makes`,
        ),
        null,
      );
      return;
    }
    dial(options, callback);
  };
}

/**
 * Keeps a call's abort signal from docker-modem, which the request then takes from buildingSignal, and turns
 * docker-modem's dump of each request into a word.
 */
function lightenRequests(modem: Modem): void {
  const dial = modem.dial.bind(modem);
  modem.dial = (options: Modem.DialOptions & SignalHolder, callback) => {
    if (options.abortSignal) {
      options.cancelSignal = options.abortSignal;
      delete options.abortSignal;
    }
    dial(options, callback);
  };
  // n.b. buildRequest is docker-modem's, undeclared in its types: (request options, the dial's options, body,
  // callback).
  type BuildRequest = (options: object, context: SignalHolder, ...rest: unknown[]) => void;
  const internal = modem as unknown as { buildRequest: BuildRequest };
  const buildRequest = internal.buildRequest.bind(modem);
  internal.buildRequest = (options, context, ...rest) => {
    Object.defineProperty(options, inspect.custom, { value: inspectRequestOptions });
    buildingSignal = context.cancelSignal;
    try {
      buildRequest(options, context, ...rest);
    } finally {
      buildingSignal = undefined;
    }
  };
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
