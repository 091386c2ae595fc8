import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type { PrettyOptions } from 'pino-pretty';
import { redact } from './redact.js';

/** pino-pretty, loaded only for a terminal: a worker under a supervisor never needs it (and keeps the memory). */
function prettyFactory(options: PrettyOptions): (line: string) => string {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return pretty.prettyFactory(options);
}

export interface LoggerOptions {
  /**
   * Human-readable lines (pino-pretty, in color) instead of JSON: for a terminal.
   * @default false
   */
  pretty?: boolean;
}

/**
 * pino to stderr (stdout is the product's output): JSON lines, or pretty ones on a terminal. Every line goes through
 * `redact`, so no registered secret (AMQP or engine password) can appear whatever a library puts in an error.
 */
export function createLogger(
  level: string,
  write: (line: string) => void = (l) => void process.stderr.write(l),
  { pretty = false }: LoggerOptions = {},
): Logger {
  const prettify = pretty
    ? prettyFactory({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' })
    : undefined;
  // n.b. redacted before and after prettifying: pretty output unescapes strings that JSON escaped.
  const format = prettify ? (line: string) => redact(prettify(redact(line))) : redact;
  return pino(
    { name: 'docker-dispatch', level, base: { pid: process.pid } },
    { write: (line: string) => write(format(line)) },
  );
}
