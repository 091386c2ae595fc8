import type { DispatchError } from '../errors.js';
import type { CommandResult, Reply } from '../messages/types.js';

/** What carrying out one message came to, from which its reply is built. */
export interface ReplyParts {
  messageId: string;
  /** The command the message named; absent for a message that named none. */
  dockercmd: string | undefined;
  /** What the command produced (empty for a failure before it ran). */
  result: CommandResult;
  error: DispatchError | undefined;
}

/**
 * The reply for one message: what the command produced, or the error with whatever context it knew. `gaveUpAfter`:
 * a transient failure out of retries, after that many attempts, which the error message then says.
 */
export function buildReply(
  { messageId, dockercmd, result: commandResult, error }: ReplyParts,
  { gaveUpAfter }: { gaveUpAfter?: number } = {},
): Reply {
  const result = error?.partial ?? commandResult;
  const message =
    error && gaveUpAfter !== undefined ? `${error.message} (gave up after ${gaveUpAfter} attempts)` : error?.message;
  const reply: Reply = {
    ...(dockercmd === undefined ? {} : { Dockercmd: dockercmd }),
    Status: error ? 'error' : 'ok',
    MessageId: messageId,
    Host: result.Host ?? error?.context.host,
    Container: result.Container ?? error?.context.container,
    ExitCode: result.ExitCode,
    Attempts: result.Attempts,
    Stdout: result.Stdout,
    Stderr: result.Stderr,
    Truncated: result.Truncated,
    Error: error ? { Code: error.code, Message: message! } : undefined,
    Warnings: result.Warnings,
    Hosts: result.Hosts,
    Inspect: result.Inspect,
    Containers: result.Containers,
    Images: result.Images,
    Unreachable: result.Unreachable,
    Pulled: result.Pulled,
    Cancelled: result.Cancelled,
    Pending: result.Pending,
  };
  // Absent rather than undefined, so the JSON has only the fields that apply.
  for (const key of Object.keys(reply) as (keyof Reply)[]) if (reply[key] === undefined) delete reply[key];
  return reply;
}
