import type { Reply } from '../messages/types.js';

/** Exit codes of `send` and `validate`, for scripts. A waited run exits with its container's exit code instead of OK. */
export const EXIT = {
  ok: 0,
  /** The worker replied with an error (or the message could not be sent). */
  errorReply: 1,
  /** The message is not valid: nothing was published. */
  invalid: 2,
  /** No reply within --timeout, as timeout(1). */
  timeout: 124,
} as const;

/**
 * The exit code for a reply: the container's for a waited run (with Instances, the first non-zero one's), 0 for other
 * successes, 1 for an error.
 */
export function exitCodeFor(reply: Reply): number {
  if (reply.Status === 'error') return EXIT.errorReply;
  if (reply.Dockercmd === 'run' && reply.ExitCode !== undefined) return reply.ExitCode;
  // Instances: the first instance that exited non-zero decides.
  if (reply.Dockercmd === 'run')
    return reply.Containers?.find((c) => c.ExitCode !== undefined && c.ExitCode !== 0)?.ExitCode ?? EXIT.ok;
  return EXIT.ok;
}
