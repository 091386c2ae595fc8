import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import type { BenchEngine } from './services.js';

/** The parts of docker-modem used here, which @types/dockerode leaves untyped. */
interface Modem {
  dial(options: object, callback: (err: Error | null, res: IncomingMessage) => void): void;
  demuxStream(
    stream: NodeJS.ReadableStream,
    stdout: { write(c: Buffer): boolean },
    stderr: { write(c: Buffer): boolean },
  ): void;
}

/** What a container is made of: the same create body the worker sends for the equivalent message. */
export interface ContainerSpec {
  image: string;
  cmd: string[];
  name?: string;
  attach: boolean;
  /** Labels, as the worker would set them (docker-dispatch.*) plus the bench's own. */
  labels: Record<string, string>;
}

/** The body of POST /containers/create, field for field as the worker builds it for a run message. */
export function createBody(spec: ContainerSpec): Docker.ContainerCreateOptions {
  return {
    name: spec.name,
    Image: spec.image,
    Cmd: spec.cmd,
    Labels: spec.labels,
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: spec.attach,
    AttachStderr: spec.attach,
    HostConfig: { NetworkMode: 'none' },
  };
}

/**
 * `docker run --rm` done right, straight on the engine with dockerode: create → attach (before start, demultiplexed)
 * → wait for the next exit, registered before start → start → the exit and the end of the output → remove.
 * The same sequence of Engine API calls as the worker's attached run with Remove.
 */
export function runAttachedAndRemove(engine: BenchEngine, spec: ContainerSpec): Promise<AttachedRun> {
  return withDeadline(engine, attachedRun(engine, spec));
}

/** What an attached run with Remove gives: the container it was, its exit code and its stdout. */
export interface AttachedRun {
  id: string;
  exitCode: number;
  stdout: string;
}

async function attachedRun(engine: BenchEngine, spec: ContainerSpec): Promise<AttachedRun> {
  const container = await engine.docker.createContainer(createBody({ ...spec, attach: true }));
  const stream = await container.attach({ stream: true, stdout: true, stderr: true });
  const output = collect(container, stream);
  const { exitCode } = await registerWait(container);
  await container.start();
  const [code, stdout] = await Promise.all([exitCode, output]);
  await container.remove({ v: true });
  return { id: container.id, exitCode: code, stdout };
}

/** create + start, as the worker does for a run without Attach or Remove (it replies once the container started). */
export function createAndStart(engine: BenchEngine, spec: ContainerSpec): Promise<string> {
  return withDeadline(
    engine,
    (async () => {
      const container = await engine.docker.createContainer(createBody({ ...spec, attach: false }));
      await container.start();
      return container.id;
    })(),
  );
}

/** Longest a direct run may take: as long as the worker's reply may (BenchClient), so a hung engine fails the bench. */
const RUN_DEADLINE_MS = 120_000;

function withDeadline<T>(engine: BenchEngine, run: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`engine ${engine.name} did not finish a direct run within ${RUN_DEADLINE_MS / 1000} s`)),
      RUN_DEADLINE_MS,
    );
  });
  return Promise.race([run, late]).finally(() => clearTimeout(timer));
}

/** Inspects `reference` on every engine at once, as `stop`/`remove` locate a container; true when one has it. */
export async function locate(engines: readonly BenchEngine[], reference: string): Promise<boolean> {
  const found = await Promise.all(
    engines.map(async (engine) => {
      try {
        await engine.docker.getContainer(reference).inspect();
        return true;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return false;
        throw err;
      }
    }),
  );
  return found.includes(true);
}

/** Registers a wait for the next exit; resolves once the engine has it (response headers), giving the exit code. */
async function registerWait(container: Docker.Container): Promise<{ exitCode: Promise<number> }> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    (container.modem as Modem).dial(
      {
        path: `/containers/${container.id}/wait?`,
        method: 'POST',
        isStream: true,
        options: { condition: 'next-exit' },
        statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' },
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
  const exitCode = (async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { StatusCode: number }).StatusCode;
  })();
  exitCode.catch(() => undefined);
  // n.b. wrapped: an async function returning the promise itself would wait for the exit, before the start.
  return { exitCode };
}

/** Demultiplexes an attach stream and collects stdout until the stream ends. */
function collect(container: Docker.Container, stream: NodeJS.ReadableStream): Promise<string> {
  const stdout: Buffer[] = [];
  const sink = (into: Buffer[] | undefined) => ({ write: (c: Buffer) => (into?.push(c), true) });
  (container.modem as Modem).demuxStream(stream, sink(stdout), sink(undefined));
  const ended = new Promise<string>((resolve, reject) => {
    stream.on('end', () => resolve(Buffer.concat(stdout).toString('utf8')));
    stream.on('error', reject);
  });
  ended.catch(() => undefined);
  return ended;
}
