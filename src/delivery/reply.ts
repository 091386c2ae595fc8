import type { DispatchError } from '../errors.js';
import type { CommandResult, Reply } from '../messages/types.js';

/** The reply for one message: what the command produced, or the error with whatever context it knew. */
export function buildReply(
  messageId: string,
  dockercmd: string | undefined,
  commandResult: CommandResult,
  error: DispatchError | undefined,
): Reply {
  const result = error?.partial ?? commandResult;
  const reply: Reply = {
    ...(dockercmd === undefined ? {} : { Dockercmd: dockercmd }),
    Status: error ? 'error' : 'ok',
    MessageId: messageId,
    Host: result.Host ?? error?.context.host,
    Container: result.Container ?? error?.context.container,
    ExitCode: result.ExitCode,
    Stdout: result.Stdout,
    Stderr: result.Stderr,
    Truncated: result.Truncated,
    Error: error ? { Code: error.code, Message: error.message } : undefined,
    Warnings: result.Warnings,
    Hosts: result.Hosts,
    Inspect: result.Inspect,
    Containers: result.Containers,
    Images: result.Images,
    Unreachable: result.Unreachable,
    Pulled: result.Pulled,
  };
  // Absent rather than undefined, so the JSON has only the fields that apply.
  for (const key of Object.keys(reply) as (keyof Reply)[]) if (reply[key] === undefined) delete reply[key];
  return reply;
}
