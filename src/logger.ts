import { pino, type Logger } from 'pino';
import { redact } from './redact.js';

/**
 * pino to stderr (stdout is the product's output), JSON lines. Every line goes through `redact`, so no registered
 * secret (AMQP or engine password) can appear whatever a library puts in an error.
 */
export function createLogger(level: string, write: (line: string) => void = (l) => void process.stderr.write(l)): Logger {
  return pino(
    { name: 'docker-dispatch', level, base: { pid: process.pid } },
    { write: (line: string) => write(redact(line)) },
  );
}
