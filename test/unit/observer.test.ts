import { describe, expect, it } from 'vitest';
import { fanOut, guarded, type WorkerObserver } from '../../src/observe/observer.js';

const received = { messageId: 'm', dockercmd: 'run', image: 'i', seenBefore: false };
const finish = { settlement: 'ok', reply: undefined, durationMs: 1 } as const;

describe('observers', () => {
  it('fan out to each observer, in order', () => {
    const calls: string[] = [];
    const recorder = (name: string): WorkerObserver => ({
      received: () => {
        calls.push(`${name} received`);
        return {
          started: () => calls.push(`${name} started`),
          replied: () => calls.push(`${name} replied`),
          finished: () => calls.push(`${name} finished`),
        };
      },
    });
    const job = fanOut(recorder('a'), recorder('b')).received(received);
    job.started({ host: 'a', container: { Id: 'x' } });
    job.finished(finish);
    expect(calls).toEqual(['a received', 'b received', 'a started', 'b started', 'a finished', 'b finished']);
  });

  it('never let a failing observer reach the worker', () => {
    const errors: unknown[] = [];
    const broken: WorkerObserver = {
      received: () => ({
        started: () => undefined,
        replied: () => undefined,
        finished: () => {
          throw new Error('bug');
        },
      }),
    };
    const job = guarded(broken, (err) => errors.push(err)).received(received);
    expect(() => job.finished(finish)).not.toThrow();
    const alsoBroken = guarded(
      {
        received: () => {
          throw new Error('bug too');
        },
      },
      (err) => errors.push(err),
    );
    expect(() => alsoBroken.received(received).finished(finish)).not.toThrow();
    expect(errors).toHaveLength(2);
  });
});
