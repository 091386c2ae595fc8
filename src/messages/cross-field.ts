import { DispatchError } from '../errors.js';
import type { CommandMessage } from './types.js';

/** Retries a run gets when Options.Retry.Max is not given (as its schema says). */
export const DEFAULT_RETRY_MAX = 3;

/** Most containers a run with Options.Retry and Instances may come to (Max × Instances). */
export const MAX_RETRIED_INSTANCES = 100;

/**
 * What a schema cannot say about a valid message: fields that do not go together, or need a property of the AMQP
 * message. `replyTo` is the message's reply_to. Undefined when the message is fine; else the InvalidMessage to answer.
 */
export function crossFieldProblem(message: CommandMessage, replyTo: string | undefined): DispatchError | undefined {
  if (message.Dockercmd !== 'run') return undefined;
  const options = message.Options ?? {};
  if (options.Stream === true) {
    const attach = options.Attach ?? [];
    if (!attach.includes('STDOUT') && !attach.includes('STDERR'))
      return invalid(
        'Options.Stream needs Options.Attach with STDOUT or STDERR: without them there is no output to stream',
      );
    if (!replyTo)
      return invalid('Options.Stream needs the reply_to property on the message: output messages are published there');
  }
  if (options.Retry && message.Instances !== undefined) {
    const max = options.Retry.Max ?? DEFAULT_RETRY_MAX;
    if (max * message.Instances > MAX_RETRIED_INSTANCES)
      return invalid(
        `Options.Retry.Max × Instances must be at most ${MAX_RETRIED_INSTANCES} (it is ${max} × ${message.Instances}): ` +
          'each retried attempt is recorded in the message',
      );
  }
  return undefined;
}

function invalid(message: string): DispatchError {
  return new DispatchError('InvalidMessage', message);
}
