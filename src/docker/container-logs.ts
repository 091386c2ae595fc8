import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import { TailBuffer } from '../output/tail-buffer.js';
import { capture, type Captured } from './container-io.js';

/** The part of docker-modem used here, which @types/dockerode leaves untyped. */
interface Modem {
  dial(options: object, callback: (err: Error | null, res: IncomingMessage) => void): void;
}

export interface LogsRequest {
  tail?: number;
  /** Seconds since the Unix epoch. */
  since?: number;
  timestamps?: boolean;
  /** The container was created with a TTY: its log is one raw stream, not multiplexed. */
  tty: boolean;
  maxBytes: number;
  abortSignal: AbortSignal;
}

const NO_SINK = { write: () => undefined, end: () => undefined };

/**
 * A container's logs so far (not followed), stdout and stderr apart, keeping the end of each within `maxBytes`.
 * Streamed rather than buffered whole, so a huge log cannot take the worker's memory.
 */
export async function readLogs(container: Docker.Container, request: LogsRequest): Promise<Captured> {
  const options: Record<string, unknown> = {
    follow: false,
    stdout: true,
    stderr: true,
    timestamps: request.timestamps ?? false,
  };
  if (request.tail !== undefined) options.tail = request.tail;
  if (request.since !== undefined) options.since = request.since;
  const stream = await new Promise<IncomingMessage>((resolve, reject) => {
    (container.modem as Modem).dial(
      {
        path: `/containers/${container.id}/logs?`,
        method: 'GET',
        isStream: true,
        abortSignal: request.abortSignal,
        options,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
  if (!request.tty) return capture(container, stream, { stdout: NO_SINK, stderr: NO_SINK }, request.maxBytes);
  // n.b. a TTY container's log has no stream headers: it is all stdout.
  const stdout = new TailBuffer(request.maxBytes);
  for await (const chunk of stream) stdout.write(chunk as Buffer);
  return { stdout: stdout.toString(), stderr: '', truncated: stdout.truncated };
}
