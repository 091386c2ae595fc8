import type { Reply } from '../messages/types.js';
import { colorCodeFor, GREEN, paint, RED } from './colors.js';
import { LineSplitter } from './line-splitter.js';
import { summarizeCancel, summarizeListing } from './result-summary.js';

export type OutputFormat = 'text' | 'json';
export type StreamName = 'stdout' | 'stderr';

/** Where attached output came from. */
export interface OutputSource {
  messageId: string;
  host: string;
  /** Container name (or short id when it has none). */
  container: string;
}

/** A sink for one attached stream: bytes in, lines out. */
export interface StreamSink {
  write(chunk: Buffer): void;
  end(): void;
}

/** The product's stdout: attached output and one result line per message. Logs never go here. */
export interface Output {
  stream(source: OutputSource, stream: StreamName): StreamSink;
  result(reply: Reply, durationMs: number): void;
}

export interface OutputOptions {
  /**
   * `text` only: each container name in a color of its own, the status in green or red (see useColor).
   * @default false
   */
  color?: boolean;
}

/** Writes `text` (`name | line`, as docker compose does) or `json` (one object per line) to `write`. */
export function createOutput(
  format: OutputFormat,
  write: (text: string) => void = (t) => void process.stdout.write(t),
  { color = false }: OutputOptions = {},
): Output {
  const line = format === 'json' ? jsonOutputLine : color ? coloredTextOutputLine : textOutputLine;
  const result = format === 'json' ? jsonResultLine : (reply: Reply, ms: number) => textResultLine(reply, ms, color);
  return {
    stream(source, stream) {
      const splitter = new LineSplitter((text) => write(line(source, stream, text)));
      return { write: (chunk) => splitter.write(chunk), end: () => splitter.end() };
    },
    result(reply, durationMs) {
      write(result(reply, durationMs));
    },
  };
}

export function textOutputLine(source: OutputSource, _stream: StreamName, line: string): string {
  return `${source.container} | ${line}\n`;
}

export function coloredTextOutputLine(source: OutputSource, _stream: StreamName, line: string): string {
  return `${paint(`${source.container} |`, colorCodeFor(source.container))} ${line}\n`;
}

export function jsonOutputLine(source: OutputSource, stream: StreamName, line: string): string {
  const { messageId: MessageId, host: Host, container: Container } = source;
  return `${JSON.stringify({ Type: 'Output', MessageId, Host, Container, Stream: stream, Line: line })}\n`;
}

const DONE: Record<string, string> = {
  run: 'started',
  stop: 'stopped',
  remove: 'removed',
  create: 'created',
  start: 'started',
  restart: 'restarted',
  kill: 'killed',
  inspect: 'inspected',
  logs: 'logs read',
};

/** `ok run hello on a: exited with code 0 in 1.20 s`; `error stop web: ContainerNotFound: … (message 42)`. */
export function textResultLine(reply: Reply, durationMs: number, color = false): string {
  const name = reply.Container?.Name ?? reply.Container?.Id.slice(0, 12);
  const status = color ? paint(reply.Status, reply.Status === 'ok' ? GREEN : RED) : reply.Status;
  const shownName = color && name ? paint(name, colorCodeFor(name)) : name;
  const subject = [status, reply.Dockercmd ?? '(no command)', shownName, reply.Host && `on ${reply.Host}`]
    .filter(Boolean)
    .join(' ');
  const seconds = `${(durationMs / 1000).toFixed(2)} s`;
  if (reply.Error) return `${subject}: ${reply.Error.Code}: ${reply.Error.Message} (message ${reply.MessageId})\n`;
  const hosts = reply.Hosts?.map(
    (h) => `${h.Name} (${h.Healthy ? `healthy, ${h.Running ?? '?'} running` : 'quarantined'})`,
  ).join(', ');
  const what =
    reply.ExitCode !== undefined
      ? `exited with code ${reply.ExitCode}`
      : hosts !== undefined
        ? `engines ${hosts}`
        : (summarizeListing(reply) ?? summarizeCancel(reply) ?? DONE[reply.Dockercmd ?? ''] ?? 'done');
  return `${subject}: ${what} in ${seconds}\n`;
}

/** The reply without the attached output (already printed line by line), plus the time the command took. */
export function jsonResultLine(reply: Reply, durationMs: number): string {
  const { Stdout: _stdout, Stderr: _stderr, ...rest } = reply;
  return `${JSON.stringify({ Type: 'Result', ...rest, DurationMs: Math.round(durationMs) })}\n`;
}
