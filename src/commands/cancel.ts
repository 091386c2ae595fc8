import { setTimeout as sleep } from 'node:timers/promises';
import { classifyDockerError } from '../docker/classify.js';
import { registerWait } from '../docker/container-io.js';
import { checkedInspect } from '../docker/inspect-shape.js';
import type { EarlierContainer } from '../docker/pool.js';
import type { CancelMessage } from '../messages/types.js';
import type { CommandContext, CommandHandler, CommandResult } from './context.js';
import { statusOf } from './locate.js';
import { DEFAULT_STOP_SECONDS } from './stop.js';

/** States of a container that a cancel stops. */
const LIVE_STATES = new Set(['created', 'running', 'paused', 'restarting']);

/**
 * How long the worker running a cancelled job has to begin stopping its container before the cancel stops it itself
 * (a run that nobody follows: a detached run, or one whose worker died and whose redelivery has not come yet).
 */
export const OWNER_GRACE_MS = 3000;

/**
 * `cancel`: finds the message's containers on every engine; tells every worker on the queue (the cancel stream), so
 * the message is answered Cancelled wherever it is or comes; then waits until the containers that ran have stopped (their
 * worker stops them; after OWNER_GRACE_MS the cancel stops one itself). The reply names what was stopped
 * (`Cancelled`), or says `Pending`: nothing ran, and the message is refused when it comes.
 */
export const cancel: CommandHandler<CancelMessage> = async (message, ctx) => {
  const timeSeconds = message.Options?.Time ?? DEFAULT_STOP_SECONDS;
  const warnings: string[] = [];
  // n.b. what runs is looked up first: the cancel stops it at once where this worker runs it.
  const { found, unreachable } = await ctx.pool.containersOf(message.MessageId, ctx.queue, ctx.requestTimeoutMs);
  const shared = await ctx.publishCancel({ messageId: message.MessageId, timeSeconds });
  if (!shared)
    warnings.push(
      'the cancel stream is unavailable (it needs RabbitMQ 3.9 or newer): only this worker learned of the cancel',
    );
  for (const failure of unreachable)
    warnings.push(`${failure.message}: a container of the message may run there, and stops when its worker learns`);
  const live = found.filter((c) => LIVE_STATES.has(c.state));
  ctx.log.info(
    { cancelled: message.MessageId, running: live.map((c) => `${c.engine.id}/${c.name ?? c.id.slice(0, 12)}`) },
    live.length > 0
      ? 'cancel: stopping the message’s containers'
      : 'cancel: nothing of it runs; it is refused when it comes',
  );
  await Promise.all(live.map((c) => stopOnceIdle(c, timeSeconds, ctx)));
  const result: CommandResult =
    live.length > 0
      ? {
          Cancelled: live.map((c) => ({
            Host: c.engine.id,
            Container: { Id: c.id, ...(c.name === undefined ? {} : { Name: c.name }) },
          })),
        }
      : { Pending: true };
  if (warnings.length > 0) result.Warnings = warnings;
  return result;
};

/**
 * Waits for a container's own worker to stop it; one still running after the grace is stopped here (its worker may
 * be stopping it too: a second stop is harmless). A container still only created after the grace is removed: the run it
 * was made for is cancelled and never starts it (an attempt that died, or a create the cancel cut short). Gone or
 * stopped: done.
 */
async function stopOnceIdle(found: EarlierContainer, timeSeconds: number, ctx: CommandContext): Promise<void> {
  const container = found.engine.docker.getContainer(found.id);
  const where = { host: found.engine.id, container: found.id };
  const grace = new AbortController();
  const graceOver = sleep(OWNER_GRACE_MS, true, { signal: grace.signal }).catch(() => false);
  try {
    if (found.state === 'created') {
      await graceOver;
      const state = checkedInspect(
        await container.inspect({ abortSignal: AbortSignal.timeout(ctx.requestTimeoutMs) }),
        found.engine.id,
      ).State;
      if (state.Status === 'created') {
        ctx.log.info(where, 'cancel: removing a container of the message that was never started');
        await container.remove({ force: true, v: true, abortSignal: AbortSignal.timeout(ctx.requestTimeoutMs) });
        return;
      }
      if (!state.Running) return;
    } else {
      const { exitCode } = await registerWait(container, 'not-running', grace.signal);
      // n.b. a wait that fails (the container removed by its run meanwhile) also means it no longer runs.
      const stoppedFirst = await Promise.race([
        exitCode.then(
          () => true,
          () => true,
        ),
        graceOver.then(() => false),
      ]);
      if (stoppedFirst) return;
    }
    ctx.log.info(where, `cancel: still running after ${OWNER_GRACE_MS / 1000} s: stopping it here too`);
    // n.b. the engine answers once the container has stopped: up to t seconds, then the kill.
    await container.stop({
      t: timeSeconds,
      abortSignal: AbortSignal.timeout(timeSeconds * 1000 + ctx.requestTimeoutMs),
    });
  } catch (err) {
    const status = statusOf(err);
    // 304: not running any more; 404: gone (removed by its run). Both are what the cancel wants.
    if (status === 304 || status === 404) return;
    throw classifyDockerError(err, 'stop', found.engine.id, { container: { Id: found.id, Name: found.name } });
  } finally {
    grace.abort();
  }
}
