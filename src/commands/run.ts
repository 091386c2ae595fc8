import type Docker from 'dockerode';
import { DispatchError } from '../errors.js';
import { classifyDockerError, type DockerOperation } from '../docker/classify.js';
import { capture, registerWait, type Captured } from '../docker/container-io.js';
import type { Engine } from '../docker/engine.js';
import { checkedInspect } from '../docker/inspect-shape.js';
import { withTimeout } from '../deadline.js';
import { HandedOverError } from '../delivery/lease.js';
import { setLongTimeout } from '../long-timer.js';
import type { RunMessage } from '../messages/types.js';
import type { StreamName, StreamSink } from '../output/output.js';
import { findEarlierContainer } from './earlier-container.js';
import { createPlaced } from './run-create.js';
import {
  cancelledBeforeRun,
  cancelledWhileRunning,
  removeExited,
  removeInstance,
  removeQuietly,
  stopContainer,
  type ContainerRef,
} from './run-end.js';
import { runInstances } from './run-instances.js';
import { containerName, type CommandContext, type CommandHandler, type CommandResult } from './context.js';

/** Seconds a timed-out container gets between SIGTERM and SIGKILL. */
export const TIMEOUT_STOP_SECONDS = 10;

/** What a run message asks for, read once. */
interface Plan {
  message: RunMessage;
  attach: Set<string>;
  attachOutput: boolean;
  /** Wait for the exit (Attach, Remove or Timeout), else reply once started. */
  waitForExit: boolean;
  timeoutSeconds: number | undefined;
}

/**
 * `docker run`, without losing output or the exit code: create → attach (before start, Tty false, stdout and stderr
 * demultiplexed) → wait registered before start → start → the exit *and* the end of the output → remove.
 * With neither Attach, Remove nor Timeout it replies once the container has started.
 * A message that already has a container (an earlier attempt that died or lost its ack) adopts it instead.
 */
export const run: CommandHandler<RunMessage> = async (message, ctx) => {
  // The policy first: a refused message must not even adopt a container.
  ctx.policy.containerSettings(message);
  if (message.Instances !== undefined) return runInstances(message, ctx, run, removeInstance);
  const options = message.Options ?? {};
  const attach = new Set<string>(options.Attach ?? []);
  const plan: Plan = {
    message,
    attach,
    attachOutput: attach.has('STDOUT') || attach.has('STDERR'),
    waitForExit:
      attach.size > 0 || options.Remove === true || options.Timeout !== undefined || options.Retry !== undefined,
    timeoutSeconds: options.Timeout,
  };
  // n.b. the containers of attempts retried by their exit code are done with: the next attempt gets a fresh one.
  const retried = new Set(ctx.earlierAttempts.filter((a) => a.Instance === undefined).map((a) => a.Container.Id));
  const found = await findEarlierContainer(ctx);
  const earlier = found && !retried.has(found.id) ? found : undefined;
  if (earlier && earlier.state !== 'created') {
    ctx.log.info(
      { host: earlier.engine.id, container: earlier.id, state: earlier.state },
      'adopting the container of an earlier attempt',
    );
    return follow(plan, ctx, earlier.engine, earlier.engine.docker.getContainer(earlier.id));
  }
  // A container created but never started (the earlier attempt died in between) is the one this run would create.
  const { engine, container } = earlier
    ? { engine: earlier.engine, container: earlier.engine.docker.getContainer(earlier.id) }
    : await createPlacedUnlessCancelled(message, ctx);
  // n.b. a cancelled message starts nothing (an earlier attempt's running container is adopted above, to be stopped).
  if (ctx.lease.cancelled) {
    await removeQuietly(container, ctx, engine.id);
    throw cancelledBeforeRun();
  }
  return startAndFollow(plan, ctx, engine, container);
};

/** From now until the returned release, a cancel of the job stops this container (SIGTERM, then SIGKILL after Time). */
function stopOnCancel(container: Docker.Container, ctx: CommandContext, host: string, ref: ContainerRef): () => void {
  return ctx.lease.whileRunning((request) =>
    stopContainer(container, request.timeSeconds, 'cancelled', ctx, host, ref),
  );
}

/** The result of a run not waited for, once its container runs: Cancelled if a cancel came meanwhile. */
function notWaitedFor(ctx: CommandContext, host: string, ref: ContainerRef, release: () => void): CommandResult {
  release();
  if (ctx.lease.cancelled) throw cancelledWhileRunning({ Host: host, Container: ref });
  return { Host: host, Container: ref };
}

/** Creates the run's container, unless it was cancelled before (then nothing is asked of any engine). */
function createPlacedUnlessCancelled(message: RunMessage, ctx: CommandContext) {
  if (ctx.lease.cancelled) throw cancelledBeforeRun();
  return createPlaced(message, ctx);
}

/** Attach, register the wait, start; then follow to the exit (or reply at once when not waiting). */
async function startAndFollow(
  plan: Plan,
  ctx: CommandContext,
  engine: Engine,
  container: Docker.Container,
): Promise<CommandResult> {
  const host = engine.id;
  const step = stepper(host, ctx);
  let ref: ContainerRef = { Id: container.id };
  let exit: { exitCode: Promise<number> } | undefined;
  let output: Promise<Captured> | undefined;
  let release: (() => void) | undefined;
  try {
    const name = plan.message.Options?.Name;
    // n.b. without a Name the engine picks one: its create event names it in the inventory (no inspect).
    ref = {
      Id: container.id,
      Name: containerName(
        name ?? (await step('inspect', ref, () => ctx.pool.nameOf(engine, container, ctx.requestTimeoutMs))),
      ),
    };
    if (plan.attachOutput) {
      // n.b. no deadline on a stream that lasts as long as the container; only the lease ends it.
      const stream = await step('attach', ref, () =>
        container.attach({
          stream: true,
          stdout: plan.attach.has('STDOUT'),
          stderr: plan.attach.has('STDERR'),
          abortSignal: ctx.lease.signal,
        }),
      );
      output = capture(container, stream, sinks(ctx, host, ref), ctx.maxOutputBytes);
    }
    if (plan.waitForExit) exit = await step('wait', ref, () => registerWait(container, 'next-exit', ctx.lease.signal));
    // n.b. from here a cancel stops the container rather than aborting the start; one that came meanwhile, after it.
    // A cancel that came before refuses the start; one that comes while the start is on its way to the engine lets
    // it finish: aborting the call would only lose its answer (the engine may have started the container already,
    // whose output is being read), and the container would be taken for one that never ran.
    release = stopOnCancel(container, ctx, host, ref);
    const startUntil = ctx.lease.startSignal.aborted ? ctx.lease.startSignal : ctx.lease.signal;
    await step('start', ref, (abortSignal) => container.start({ abortSignal }), startUntil);
    const cancelled = ctx.lease.cancelled;
    if (cancelled) stopContainer(container, cancelled.timeSeconds, 'cancelled', ctx, host, ref);
  } catch (err) {
    release?.();
    // Nothing ran: leave nothing behind (a failed start would otherwise leave a "Created" container).
    await removeQuietly(container, ctx, host);
    throw err instanceof DispatchError ? err.withContext({ host, container: ref }) : err;
  }
  ctx.log.debug({ host, container: ref.Name }, 'container started');
  ctx.onContainer?.(host, ref);
  if (!exit) return notWaitedFor(ctx, host, ref, release);
  return finish(plan, ctx, engine, container, ref, { exit: exit.exitCode, output, startedAt: Date.now(), release });
}

/** Follows a container an earlier attempt started: its output so far and to come, and its exit. */
async function follow(
  plan: Plan,
  ctx: CommandContext,
  engine: Engine,
  container: Docker.Container,
): Promise<CommandResult> {
  const host = engine.id;
  const step = stepper(host, ctx);
  const info = await step('inspect', { Id: container.id }, async (abortSignal) =>
    checkedInspect(await container.inspect({ abortSignal }), host),
  );
  const ref = { Id: info.Id, Name: containerName(info.Name) };
  ctx.onContainer?.(host, ref);
  // n.b. a cancel stops the adopted container; a message cancelled before it came here stops it at once.
  const release = stopOnCancel(container, ctx, host, ref);
  if (!plan.waitForExit) return notWaitedFor(ctx, host, ref, release);
  let output: Promise<Captured> | undefined;
  let exit: { exitCode: Promise<number> };
  try {
    // n.b. followed logs replay what was written before and end when the container stops, running or not.
    if (plan.attachOutput) {
      const stream = await step('logs', ref, () =>
        container.logs({
          follow: true,
          stdout: plan.attach.has('STDOUT'),
          stderr: plan.attach.has('STDERR'),
          abortSignal: ctx.lease.signal,
        }),
      );
      output = capture(container, stream, sinks(ctx, host, ref), ctx.maxOutputBytes);
    }
    exit = await step('wait', ref, () => registerWait(container, 'not-running', ctx.lease.signal));
  } catch (err) {
    release();
    throw err;
  }
  const startedAt = Date.parse(info.State.StartedAt);
  return finish(plan, ctx, engine, container, ref, {
    exit: exit.exitCode,
    output,
    startedAt: Number.isNaN(startedAt) ? Date.now() : startedAt,
    release,
  });
}

/** Waits for the exit and the end of the output (stopping the container at its timeout), then removes it if asked. */
async function finish(
  plan: Plan,
  ctx: CommandContext,
  engine: Engine,
  container: Docker.Container,
  ref: ContainerRef,
  running: {
    exit: Promise<number>;
    output: Promise<Captured> | undefined;
    startedAt: number;
    /** Ends the cancel's hold on the running container (Lease.whileRunning). */
    release: () => void;
  },
): Promise<CommandResult> {
  const host = engine.id;
  const step = stepper(host, ctx);
  let timedOut = false;
  // n.b. a long timer: Options.Timeout may be longer than the 24.8 days a plain setTimeout keeps.
  const timer =
    plan.timeoutSeconds === undefined
      ? undefined
      : setLongTimeout(
          () => {
            timedOut = true;
            ctx.log.info({ host, container: ref.Name, timeoutSeconds: plan.timeoutSeconds }, 'run timed out');
            stopContainer(container, TIMEOUT_STOP_SECONDS, 'timed out', ctx, host, ref);
          },
          running.startedAt + plan.timeoutSeconds * 1000 - Date.now(),
        );
  let exitCode: number;
  let captured: Captured | undefined;
  try {
    [exitCode, captured] = await Promise.all([
      step('wait', ref, () => running.exit),
      step('attach', ref, async () => running.output),
    ]);
  } finally {
    timer?.clear();
    running.release();
  }

  const result: CommandResult = { Host: host, Container: ref, ExitCode: exitCode };
  if (plan.attach.has('STDOUT')) result.Stdout = captured?.stdout ?? '';
  if (plan.attach.has('STDERR')) result.Stderr = captured?.stderr ?? '';
  if (captured?.truncated) result.Truncated = true;

  // n.b. the run is over: from here it is answered by this worker, not handed over (an adopter would find no container),
  // and a later cancel changes nothing.
  if (!ctx.lease.commit()) throw new HandedOverError('handed over before the run was answered');
  if (plan.message.Options?.Remove && !ctx.deferRemove) {
    const warning = await removeExited(container, ctx, host, ref);
    if (warning) result.Warnings = [warning];
  }
  if (ctx.lease.cancelled) throw cancelledWhileRunning(result, ctx.lease.cancelled.timeSeconds);
  if (timedOut) {
    throw new DispatchError(
      'Timeout',
      `the container ran longer than Options.Timeout (${plan.timeoutSeconds} s) and was stopped`,
      {
        context: { host, container: ref },
        partial: result,
      },
    );
  }
  return result;
}

/** Runs one Engine API call, with a deadline for the short ones, and classifies its failure. */
function stepper(host: string, ctx: CommandContext) {
  return async <T>(
    operation: DockerOperation,
    ref: ContainerRef,
    call: (abortSignal: AbortSignal) => Promise<T>,
    until: AbortSignal = ctx.lease.signal,
  ): Promise<T> => {
    try {
      return await withTimeout(ctx.requestTimeoutMs, call, until);
    } catch (err) {
      throw classifyDockerError(err, operation, host, { container: ref });
    }
  };
}

/** Where a run's attached output goes: stdout, and the live output messages when the message asked for them. */
function sinks(ctx: CommandContext, host: string, ref: ContainerRef): Record<StreamName, StreamSink> {
  const source = { messageId: ctx.messageId, host, container: ref.Name ?? ref.Id.slice(0, 12) };
  const sink = (stream: StreamName): StreamSink => {
    const printed = ctx.output.stream(source, stream);
    const live = ctx.liveOutput?.sink(source, stream);
    if (!live) return printed;
    return {
      write: (chunk) => {
        printed.write(chunk);
        live.write(chunk);
      },
      end: () => {
        printed.end();
        live.end();
      },
    };
  };
  return { stdout: sink('stdout'), stderr: sink('stderr') };
}
