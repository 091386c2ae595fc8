import { classifyDockerError } from '../docker/classify.js';
import { readLogs } from '../docker/container-logs.js';
import type { LogsMessage } from '../messages/types.js';
import type { CommandHandler, CommandResult } from './context.js';
import { locateTarget } from './locate.js';

/**
 * `docker logs` (not followed) on whichever engine holds the container: Stdout and Stderr apart, each the end of the
 * stream within --max-output bytes (Truncated when cut).
 */
export const logs: CommandHandler<LogsMessage> = async (message, ctx) => {
  const { engine, container, info, result } = await locateTarget(message.Container, ctx);
  const options = message.Options ?? {};
  try {
    const captured = await readLogs(container, {
      tail: options.Tail,
      since: options.Since,
      timestamps: options.Timestamps,
      tty: info.Config.Tty,
      maxBytes: ctx.maxOutputBytes,
      abortSignal: AbortSignal.timeout(ctx.requestTimeoutMs),
    });
    const reply: CommandResult = { ...result, Stdout: captured.stdout, Stderr: captured.stderr };
    if (captured.truncated) reply.Truncated = true;
    return reply;
  } catch (err) {
    throw classifyDockerError(err, 'logs', engine.id, { container: result.Container });
  }
};
