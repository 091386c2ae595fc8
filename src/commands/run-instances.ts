import { decideExitRetry } from '../delivery/exit-retry.js';
import { HandedOverError } from '../delivery/lease.js';
import { DispatchError } from '../errors.js';
import type { RunMessage } from '../messages/types.js';
import type { CommandContext, CommandResult } from './context.js';

type Instance = NonNullable<CommandResult['Containers']>[number];
type RunOne = (message: RunMessage, ctx: CommandContext) => Promise<CommandResult>;
/** Removes an instance's container; returns a warning for the reply when it could not. */
type RemoveOne = (instance: Instance, ctx: CommandContext) => Promise<string | undefined>;

/**
 * A run with `Instances: N`: N runs of the same message at once, each placed by the strategy on its own (so they
 * spread over the eligible engines), named `<Name>-i` when the message has a Name, and each with an identity of its
 * own (`<message id>-i`), so a redelivered message adopts each instance's container as a single run would.
 *
 * The reply lists every instance in order (Host, Id, Name, ExitCode and output when waited; Error for one that
 * failed). When any failed, the message fails with the first failure's code, which decides its fate as for a single
 * run: dead-lettered for a permanent failure, retried for a transient one (the retry adopts the instances that exist).
 *
 * So that a retry finds the instances that already finished, `Options.Remove` waits until every instance has
 * settled, and is not carried out when the message is to be retried: the retry adopts the exited containers (their
 * exit codes and output) instead of running them again, and removes them when it settles. A message without an
 * identity cannot adopt anything, so its instances are removed as they finish.
 */
export async function runInstances(
  message: RunMessage,
  ctx: CommandContext,
  runOne: RunOne,
  removeOne: RemoveOne,
): Promise<CommandResult> {
  const count = message.Instances ?? 1;
  const { Instances: _instances, ...single } = message;
  const deferRemove = single.Options?.Remove === true && ctx.identity !== undefined;
  const settled = await Promise.allSettled(
    Array.from({ length: count }, (_, index) => {
      const n = index + 1;
      const name = single.Options?.Name;
      const one: RunMessage = {
        ...single,
        Options: { ...single.Options, ...(name === undefined ? {} : { Name: `${name}-${n}` }) },
      };
      const instanceCtx: CommandContext = {
        ...ctx,
        messageId: `${ctx.messageId}-${n}`,
        identity: ctx.identity === undefined ? undefined : `${ctx.identity}-${n}`,
        instanceOf: ctx.messageId,
        instance: n,
        earlierAttempts: ctx.earlierAttempts
          .filter((a) => a.Instance === n)
          .map(({ Instance: _instance, ...attempt }) => attempt),
        log: ctx.log.child({ instance: n }),
        deferRemove,
      };
      return runOne(one, instanceCtx);
    }),
  );
  const failures: DispatchError[] = [];
  const containers = settled.map((outcome): Instance => {
    const error = outcome.status === 'rejected' ? asDispatchError(outcome.reason) : undefined;
    if (error) failures.push(error);
    const result = outcome.status === 'fulfilled' ? outcome.value : (error?.partial ?? {});
    const container = result.Container ?? error?.context.container;
    return {
      Host: result.Host ?? error?.context.host ?? '',
      Id: container?.Id ?? '',
      ...(container?.Name === undefined ? {} : { Name: container.Name }),
      ...(result.ExitCode === undefined ? {} : { ExitCode: result.ExitCode }),
      ...(result.Stdout === undefined ? {} : { Stdout: result.Stdout }),
      ...(result.Stderr === undefined ? {} : { Stderr: result.Stderr }),
      ...(error ? { Error: { Code: error.code, Message: error.message } } : {}),
    };
  });
  const result: CommandResult = { Containers: containers };
  if (settled.some((o) => o.status === 'fulfilled' && o.value.Truncated) || failures.some((f) => f.partial?.Truncated))
    result.Truncated = true;
  const warnings = settled.flatMap((o) =>
    o.status === 'fulfilled'
      ? (o.value.Warnings ?? [])
      : ((o.reason as { partial?: CommandResult } | undefined)?.partial?.Warnings ?? []),
  );
  const first = failures[0];
  // Retried instances (Options.Retry: a listed exit code) get a fresh container; the others' are adopted by the retry.
  const retriedByExitCode = first ? [] : decideExitRetry(message, result, ctx.earlierAttempts).retried;
  const toBeRetried = (first?.disposition === 'retry' && !ctx.lastAttempt) || retriedByExitCode.length > 0;
  if (!ctx.lease.commit()) throw new HandedOverError('handed over before the instances were answered');
  const toRemove = !deferRemove
    ? []
    : !toBeRetried
      ? containers
      : containers.filter((_, i) => retriedByExitCode.some((a) => a.Instance === i + 1));
  const removed = await Promise.all(toRemove.filter((c) => c.Id !== '').map((c) => removeOne(c, ctx)));
  warnings.push(...removed.filter((w): w is string => w !== undefined));
  if (warnings.length > 0) result.Warnings = warnings;
  if (!first) return result;
  throw new DispatchError(first.code, `${failures.length} of ${count} instances failed; the first: ${first.message}`, {
    cause: first,
    partial: result,
  });
}

function asDispatchError(reason: unknown): DispatchError {
  if (reason instanceof DispatchError) return reason;
  return new DispatchError('DockerError', `unexpected error: ${(reason as Error)?.message ?? String(reason)}`, {
    cause: reason,
  });
}
