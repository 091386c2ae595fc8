import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import type { StreamName, StreamSink } from '../output/output.js';
import { TailBuffer } from '../output/tail-buffer.js';

/** The parts of docker-modem used here, which @types/dockerode leaves untyped. */
interface Modem {
  dial(options: object, callback: (err: Error | null, res: IncomingMessage) => void): void;
  demuxStream(
    stream: NodeJS.ReadableStream,
    stdout: { write(c: Buffer): boolean },
    stderr: { write(c: Buffer): boolean },
  ): void;
}

/** What a container wrote on its attached streams: the end of each, within the cap. */
export interface Captured {
  stdout: string;
  stderr: string;
  truncated: boolean;
}

/** Podman's wait StatusCode for a container that has no exit code (it never ran); see registerWait. */
const NEVER_RAN_PODMAN = -1;

/**
 * Asks the engine to report the container's exit and resolves once the engine has registered that (its response
 * headers arrived), so a container that exits at once cannot be missed. `exitCode` settles when the container exits.
 * `condition` is `next-exit` before a start, `not-running` for a container that may already have exited.
 */
export async function registerWait(
  container: Docker.Container,
  condition: 'next-exit' | 'not-running',
  abortSignal?: AbortSignal,
): Promise<{ exitCode: Promise<number> }> {
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    (container.modem as Modem).dial(
      {
        path: `/containers/${container.id}/wait?`,
        method: 'POST',
        isStream: true,
        options: { condition },
        abortSignal,
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
    // n.b. Podman answers `not-running` on a container that never ran (created) with -1, "no exit code yet"; Docker
    // answers 0. Replies give Docker's.
    return body.StatusCode === NEVER_RAN_PODMAN ? 0 : body.StatusCode;
  })();
  // Awaited by the caller once the container has started; keep an early failure from being unhandled meanwhile.
  exitCode.catch(() => undefined);
  return { exitCode };
}

/**
 * Demultiplexes an attach (or followed logs) stream to the output sinks and keeps the end of each stream, up to
 * `maxBytes` each, until the stream ends.
 */
export function capture(
  container: Docker.Container,
  stream: NodeJS.ReadableStream,
  sinks: Record<StreamName, StreamSink>,
  maxBytes: number,
): Promise<Captured> {
  const kept = { stdout: new TailBuffer(maxBytes), stderr: new TailBuffer(maxBytes) };
  const into = (name: StreamName) => ({
    write(chunk: Buffer) {
      kept[name].write(chunk);
      sinks[name].write(chunk);
      return true;
    },
  });
  (container.modem as Modem).demuxStream(stream, into('stdout'), into('stderr'));
  // n.b. the sinks end however the stream does, so nothing of it is printed or published after the reply.
  let sinksEnded = false;
  const endSinks = () => {
    if (sinksEnded) return;
    sinksEnded = true;
    sinks.stdout.end();
    sinks.stderr.end();
  };
  const ended = new Promise<Captured>((resolve, reject) => {
    stream.on('end', () => {
      endSinks();
      resolve({
        stdout: kept.stdout.toString(),
        stderr: kept.stderr.toString(),
        truncated: kept.stdout.truncated || kept.stderr.truncated,
      });
    });
    stream.on('error', (err: Error) => {
      endSinks();
      reject(err);
    });
    // n.b. a dropped connection may close the stream without 'end'; after 'end' this rejection is a no-op.
    stream.on('close', () => {
      endSinks();
      reject(new Error('the output stream closed before the container exited'));
    });
  });
  ended.catch(() => undefined);
  return ended;
}
