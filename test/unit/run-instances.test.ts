import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CommandContext, CommandResult } from '../../src/commands/context.js';
import { runInstances } from '../../src/commands/run-instances.js';
import { Lease } from '../../src/delivery/lease.js';
import { DispatchError } from '../../src/errors.js';
import type { RunMessage } from '../../src/messages/types.js';

const message: RunMessage = { Dockercmd: 'run', Image: 'img', Cmd: ['true'], Instances: 2, Options: { Remove: true } };

function context(overrides: Partial<CommandContext> = {}): CommandContext {
  // Only what runInstances itself reads; the instances are run by the fake below.
  return {
    messageId: 'm',
    identity: 'm',
    lastAttempt: false,
    earlierAttempts: [],
    log: pino({ level: 'silent' }),
    lease: new Lease(),
    ...overrides,
  } as CommandContext;
}

/** Instance 1 exits 0 on engine a; instance 2 fails with `code` before it has a container. */
function runOneFailing(code: 'DockerUnavailable' | 'Conflict', seen: CommandContext[] = []) {
  return (_message: RunMessage, ctx: CommandContext): Promise<CommandResult> => {
    seen.push(ctx);
    if (ctx.messageId === 'm-1')
      return Promise.resolve({ Host: 'a', Container: { Id: 'c1', Name: 'x-1' }, ExitCode: 0 });
    return Promise.reject(new DispatchError(code, 'engine b: connection refused', { context: { host: 'b' } }));
  };
}

function recorder() {
  const removed: string[] = [];
  const removeOne = (instance: { Id: string }) => {
    removed.push(instance.Id);
    return Promise.resolve(undefined);
  };
  return { removed, removeOne };
}

describe('runInstances and Options.Remove', () => {
  it('leaves a finished instance for the retry to adopt when another failed transiently', async () => {
    const { removed, removeOne } = recorder();
    const seen: CommandContext[] = [];
    const error = await runInstances(message, context(), runOneFailing('DockerUnavailable', seen), removeOne).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DispatchError);
    expect((error as DispatchError).code).toBe('DockerUnavailable');
    expect((error as DispatchError).partial?.Containers?.[0]).toMatchObject({ Id: 'c1', ExitCode: 0 });
    expect(removed).toEqual([]);
    // The instances themselves were told not to remove their containers.
    expect(seen.map((c) => c.deferRemove)).toEqual([true, true]);
    expect(seen.map((c) => c.identity)).toEqual(['m-1', 'm-2']);
  });

  it('removes the finished instances when the transient failure is on the last attempt', async () => {
    const { removed, removeOne } = recorder();
    await expect(
      runInstances(message, context({ lastAttempt: true }), runOneFailing('DockerUnavailable'), removeOne),
    ).rejects.toThrow(/1 of 2 instances failed/);
    expect(removed).toEqual(['c1']); // the failed instance never had a container
  });

  it('removes the finished instances when the failure is permanent', async () => {
    const { removed, removeOne } = recorder();
    await expect(runInstances(message, context(), runOneFailing('Conflict'), removeOne)).rejects.toMatchObject({
      code: 'Conflict',
    });
    expect(removed).toEqual(['c1']);
  });

  it('removes every instance once all have finished, and reports a removal that failed as a warning', async () => {
    const removed: string[] = [];
    const removeOne = (instance: { Id: string }) => {
      removed.push(instance.Id);
      return Promise.resolve(
        instance.Id === 'c2' ? 'the container x-2 exited but could not be removed: busy' : undefined,
      );
    };
    const runOne = (_m: RunMessage, ctx: CommandContext): Promise<CommandResult> =>
      Promise.resolve({ Host: 'a', Container: { Id: ctx.messageId === 'm-1' ? 'c1' : 'c2' }, ExitCode: 0 });
    const result = await runInstances(message, context(), runOne, removeOne);
    expect(removed.sort()).toEqual(['c1', 'c2']);
    expect(result.Warnings).toEqual(['the container x-2 exited but could not be removed: busy']);
  });

  it('without an identity nothing could adopt the instances: each removes its own container as it finishes', async () => {
    const { removed, removeOne } = recorder();
    const seen: CommandContext[] = [];
    await expect(
      runInstances(message, context({ identity: undefined }), runOneFailing('DockerUnavailable', seen), removeOne),
    ).rejects.toThrow();
    expect(seen.map((c) => c.deferRemove)).toEqual([false, false]);
    expect(removed).toEqual([]);
  });

  it('with Options.Retry, removes only the instance retried by its exit code; the retry adopts the others', async () => {
    const retrying: RunMessage = { ...message, Options: { Remove: true, Retry: { ExitCodes: [75] } } };
    const { removed, removeOne } = recorder();
    const seen: CommandContext[] = [];
    const runOne = (_m: RunMessage, ctx: CommandContext): Promise<CommandResult> => {
      seen.push(ctx);
      const n = ctx.messageId === 'm-1' ? 1 : 2;
      return Promise.resolve({ Host: 'a', Container: { Id: `c${n}` }, ExitCode: n === 1 ? 75 : 0 });
    };
    const earlier = [{ Instance: 1, ExitCode: 75, Host: 'b', Container: { Id: 'c0' } }];
    const result = await runInstances(retrying, context({ earlierAttempts: earlier }), runOne, removeOne);
    expect(removed).toEqual(['c1']);
    expect(result.Containers!.map((c) => c.ExitCode)).toEqual([75, 0]);
    // Each instance is told of its own earlier attempts only.
    expect(seen.map((c) => c.earlierAttempts)).toEqual([[{ ExitCode: 75, Host: 'b', Container: { Id: 'c0' } }], []]);
  });
});
