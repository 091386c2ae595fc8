import type Docker from 'dockerode';
import type { Engine } from '../docker/engine.js';
import { normalizeImage } from '../docker/image-ref.js';
import { LABELS } from '../docker/labels.js';
import type { RunMessage } from '../messages/types.js';
import { withExtraEnv, type CommandContext } from './context.js';
import { createPulling } from './create-pulling.js';

/** The environment variable that tells a run with Options.Retry which attempt it is (1 for the first). */
export const ATTEMPT_ENV = 'DOCKER_DISPATCH_ATTEMPT';

/** The environment variable that tells an instance of an Instances run which it is (1 to Instances). */
export const INSTANCE_ENV = 'DOCKER_DISPATCH_INSTANCE';

/** Creates a run's (or create's) container where the placement says, pulling its image as Options.Pull says. */
export function createPlaced(
  message: RunMessage,
  ctx: CommandContext,
): Promise<{ engine: Engine; container: Docker.Container }> {
  return ctx.placement.create(
    { host: message.Options?.Host, constraints: message.Options?.Constraints },
    { messageId: ctx.messageId, queue: ctx.queue },
    (engine) => createPulling(engine, createOptions(message, ctx, engine), message, ctx),
    { timeoutMs: ctx.requestTimeoutMs, log: ctx.log, signal: ctx.lease.startSignal },
  );
}

/** The create request for a run: the message's fields, the worker's labels, and the policy's settings. */
export function createOptions(message: RunMessage, ctx: CommandContext, engine: Engine): Docker.ContainerCreateOptions {
  const options = message.Options ?? {};
  const attach = new Set(options.Attach ?? []);
  const { User, HostConfig } = ctx.policy.containerSettings(message);
  // Options.Retry: which attempt this container is, so a job can tell a retry from a first try.
  const attempt = ctx.earlierAttempts.filter((a) => a.Instance === undefined).length + 1;
  const env = [
    ...(options.Env ?? []),
    ...(options.Retry ? [`${ATTEMPT_ENV}=${attempt}`] : []),
    ...(ctx.instance === undefined ? [] : [`${INSTANCE_ENV}=${ctx.instance}`]),
  ];
  return {
    name: options.Name,
    Image: normalizeImage(message.Image), // what the policy matched, the same image on either vendor
    Cmd: message.Cmd,
    Entrypoint: options.Entrypoint,
    Env: withExtraEnv(env.length > 0 || options.Env ? env : undefined, ctx.extraEnv),
    WorkingDir: options.WorkingDir,
    User,
    Labels: {
      ...(options.Labels as Record<string, string> | undefined),
      [LABELS.managed]: 'true',
      [LABELS.queue]: ctx.queue,
      [LABELS.messageId]: ctx.messageId,
      [LABELS.host]: engine.id,
      ...(ctx.instanceOf === undefined ? {} : { [LABELS.instanceOf]: ctx.instanceOf }),
    },
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: attach.has('STDOUT'),
    AttachStderr: attach.has('STDERR'),
    HostConfig,
  };
}
