import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import { DispatchError } from '../errors.js';
import { classifyDockerError, neverReachedEngine, type DockerOperation } from '../docker/classify.js';
import type { Engine } from '../docker/engine.js';
import { LABELS } from '../docker/labels.js';
import type { RunMessage } from '../messages/types.js';
import type { StreamName, StreamSink } from '../output/output.js';
import { containerName, type CommandContext, type CommandHandler, type CommandResult } from './context.js';

/** The parts of docker-modem used here, which @types/dockerode leaves untyped. */
interface Modem {
  dial(options: object, callback: (err: Error | null, res: IncomingMessage) => void): void;
  demuxStream(stream: NodeJS.ReadableStream, stdout: { write(c: Buffer): boolean }, stderr: { write(c: Buffer): boolean }): void;
}

/**
 * `docker run`, without losing output or the exit code: create → attach (before start, Tty false, stdout and stderr
 * demultiplexed) → wait registered before start → start → the exit *and* the end of the output → remove.
 * With neither Attach nor Remove it replies once the container has started.
 */
export const run: CommandHandler<RunMessage> = async (message, ctx) => {
  const options = message.Options ?? {};
  const attach = new Set(options.Attach ?? []);
  const attachOutput = attach.has('STDOUT') || attach.has('STDERR');
  const waitForExit = attach.size > 0 || options.Remove === true;

  const { engine, container } = await createOnSomeEngine(message, ctx);
  const host = engine.id;
  const step = async <T>(operation: DockerOperation, call: () => Promise<T>, ref = { Id: container.id }): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      throw classifyDockerError(err, operation, host, { container: ref });
    }
  };

  let ref: { Id: string; Name?: string } = { Id: container.id };
  let exit: { exitCode: Promise<number> } | undefined;
  let outputEnded: Promise<Captured> | undefined;
  try {
    ref = options.Name
      ? { Id: container.id, Name: containerName(options.Name) }
      : { Id: container.id, Name: containerName((await step('inspect', () => container.inspect())).Name) };
    const source = { messageId: ctx.messageId, host, container: ref.Name ?? ref.Id.slice(0, 12) };
    if (attachOutput) {
      const stream = await step('attach', () =>
        container.attach({ stream: true, stdout: attach.has('STDOUT'), stderr: attach.has('STDERR') }),
      );
      outputEnded = capture(container, stream, {
        stdout: ctx.output.stream(source, 'stdout'),
        stderr: ctx.output.stream(source, 'stderr'),
      });
    }
    if (waitForExit) exit = await step('wait', () => registerWait(container), ref);
    await step('start', () => container.start(), ref);
  } catch (err) {
    // Nothing ran: leave nothing behind (a failed start would otherwise leave a "Created" container).
    await removeQuietly(container, ctx, host);
    throw err instanceof DispatchError ? err.withContext({ host, container: ref }) : err;
  }
  ctx.log.debug({ host, container: ref.Name ?? ref.Id }, 'container started');

  const result: CommandResult = { Host: host, Container: ref };
  if (!exit) return result;

  const [exitCode, captured] = await Promise.all([
    step('wait', () => exit.exitCode, ref),
    step('attach', async () => (outputEnded ? outputEnded : undefined), ref),
  ]);
  result.ExitCode = exitCode;
  if (attach.has('STDOUT')) result.Stdout = captured?.stdout ?? '';
  if (attach.has('STDERR')) result.Stderr = captured?.stderr ?? '';

  if (options.Remove) {
    try {
      await container.remove({ v: true });
    } catch (err) {
      // The command ran and its exit code is known: running it again would be worse than a leftover container.
      const error = classifyDockerError(err, 'remove', host, { container: ref });
      ctx.log.warn({ host, container: ref.Name, err: error.message }, 'container exited but could not be removed');
      result.Warnings = [`the container exited but could not be removed: ${error.message}`];
    }
  }
  return result;
};

/** Creates the container on the next engine in round-robin order, failing over only when one was never reached. */
async function createOnSomeEngine(
  message: RunMessage,
  ctx: CommandContext,
): Promise<{ engine: Engine; container: Docker.Container }> {
  let lastFailure: DispatchError | undefined;
  for (const engine of ctx.pool.placementOrder()) {
    try {
      return { engine, container: await engine.docker.createContainer(createOptions(message, ctx, engine)) };
    } catch (err) {
      lastFailure = classifyDockerError(err, 'create', engine.id);
      // n.b. only a request that never reached the engine may go elsewhere: a lost answer may hide a container.
      if (!neverReachedEngine(err)) throw lastFailure;
      ctx.log.warn({ host: engine.id, err: lastFailure.message }, 'engine unreachable, trying the next one');
    }
  }
  throw lastFailure ?? new DispatchError('DockerUnavailable', 'no engine to run on');
}

export function createOptions(message: RunMessage, ctx: CommandContext, engine: Engine): Docker.ContainerCreateOptions {
  const options = message.Options ?? {};
  const attach = new Set(options.Attach ?? []);
  return {
    name: options.Name,
    Image: message.Image,
    Cmd: message.Cmd,
    Entrypoint: options.Entrypoint,
    Env: options.Env,
    WorkingDir: options.WorkingDir,
    User: options.User,
    Labels: {
      ...(options.Labels as Record<string, string> | undefined),
      [LABELS.managed]: 'true',
      [LABELS.queue]: ctx.queue,
      [LABELS.messageId]: ctx.messageId,
      [LABELS.host]: engine.id,
    },
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: attach.has('STDOUT'),
    AttachStderr: attach.has('STDERR'),
    HostConfig: ctx.networkMode ? { NetworkMode: ctx.networkMode } : {},
  };
}

/**
 * Registers a wait for the next exit and resolves once the engine has it (its response headers arrived), so a
 * container that exits at once cannot be missed. The returned promise gives the exit code.
 */
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
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      StatusCode?: number;
      Error?: { Message?: string } | null;
    };
    if (body.Error?.Message) throw Object.assign(new Error(body.Error.Message), { statusCode: 500 });
    if (typeof body.StatusCode !== 'number') throw new Error('the engine sent a wait result without StatusCode');
    return body.StatusCode;
  })();
  // Handled by the caller once the container has started; keep an early failure from being unhandled meanwhile.
  exitCode.catch(() => undefined);
  return { exitCode };
}

interface Captured {
  stdout: string;
  stderr: string;
}

/** Demultiplexes an attach stream to the output sinks and collects both streams, until the stream ends. */
function capture(
  container: Docker.Container,
  stream: NodeJS.ReadableStream,
  sinks: Record<StreamName, StreamSink>,
): Promise<Captured> {
  const chunks: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
  const into = (name: StreamName) => ({
    write(chunk: Buffer) {
      chunks[name].push(chunk);
      sinks[name].write(chunk);
      return true;
    },
  });
  (container.modem as Modem).demuxStream(stream, into('stdout'), into('stderr'));
  const ended = new Promise<Captured>((resolve, reject) => {
    stream.on('end', () => {
      sinks.stdout.end();
      sinks.stderr.end();
      resolve({
        stdout: Buffer.concat(chunks.stdout).toString('utf8'),
        stderr: Buffer.concat(chunks.stderr).toString('utf8'),
      });
    });
    stream.on('error', reject);
    // n.b. a dropped connection may close the stream without 'end'; after 'end' this rejection is a no-op.
    stream.on('close', () => reject(new Error('the attach stream closed before the container exited')));
  });
  ended.catch(() => undefined);
  return ended;
}

async function removeQuietly(container: Docker.Container, ctx: CommandContext, host: string): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 404) ctx.log.warn({ host, container: container.id, err }, 'could not remove a container that failed to start');
  }
}
