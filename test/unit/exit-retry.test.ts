import { describe, expect, it } from 'vitest';
import { decideExitRetry, readAttempts } from '../../src/delivery/exit-retry.js';
import type { RunMessage } from '../../src/messages/types.js';

const run = (retry: { ExitCodes: [number, ...number[]]; Max?: number }, instances?: number): RunMessage => ({
  Dockercmd: 'run',
  Image: 'img',
  ...(instances === undefined ? {} : { Instances: instances }),
  Options: { Retry: retry },
});
const attempt = (exitCode: number, id: string) => ({ ExitCode: exitCode, Host: 'a', Container: { Id: id } });

describe('retry by exit code (decideExitRetry)', () => {
  it('retries a listed exit code while retries are left, recording the attempt', () => {
    const decision = decideExitRetry(
      run({ ExitCodes: [75, 137] }),
      { Host: 'a', Container: { Id: 'c1' }, ExitCode: 75 },
      [],
    );
    expect(decision).toMatchObject({
      retry: true,
      retried: [{ Attempt: 1, ...attempt(75, 'c1') }],
      recorded: [attempt(75, 'c1')],
      attempts: [attempt(75, 'c1')],
    });
  });

  it('answers an exit code not listed, with every attempt, oldest first', () => {
    const earlier = [attempt(75, 'c1'), attempt(137, 'c2')];
    const decision = decideExitRetry(
      run({ ExitCodes: [75, 137] }),
      { Host: 'a', Container: { Id: 'c3' }, ExitCode: 0 },
      earlier,
    );
    expect(decision.retry).toBe(false);
    expect(decision.attempts).toEqual([...earlier, attempt(0, 'c3')]);
  });

  it('answers once Max retries were made (Max 3 by default: four attempts)', () => {
    const earlier = [attempt(75, 'c1'), attempt(75, 'c2'), attempt(75, 'c3')];
    const last = { Host: 'a', Container: { Id: 'c4' }, ExitCode: 75 };
    expect(decideExitRetry(run({ ExitCodes: [75] }), last, earlier)).toMatchObject({ retry: false, retried: [] });
    expect(decideExitRetry(run({ ExitCodes: [75], Max: 4 }), last, earlier).retry).toBe(true);
  });

  it('retries instances on their own: each against its own attempts', () => {
    const earlier = [{ Instance: 2, ...attempt(75, 'x2') }];
    const result = {
      Containers: [
        { Host: 'a', Id: 'i1', ExitCode: 75 },
        { Host: 'a', Id: 'i2', ExitCode: 75 },
        { Host: 'a', Id: 'i3', ExitCode: 0 },
      ],
    };
    const decision = decideExitRetry(run({ ExitCodes: [75], Max: 1 }, 3), result, earlier);
    expect(decision.retried).toEqual([{ Instance: 1, Attempt: 1, ...attempt(75, 'i1') }]);
    expect(decision.recorded).toEqual([...earlier, { Instance: 1, ...attempt(75, 'i1') }]);
    expect(decision.instanceAttempts).toEqual([
      [attempt(75, 'i1')],
      [attempt(75, 'x2'), attempt(75, 'i2')],
      [attempt(0, 'i3')],
    ]);
  });

  it('reads back only attempts of the shape it wrote', () => {
    const header = JSON.stringify([attempt(1, 'c'), { ExitCode: 'x' }, null, { Instance: 2, ...attempt(2, 'd') }]);
    expect(readAttempts(header)).toEqual([attempt(1, 'c'), { Instance: 2, ...attempt(2, 'd') }]);
    expect(readAttempts('not json')).toEqual([]);
    expect(readAttempts(undefined)).toEqual([]);
    expect(readAttempts('{"a":1}')).toEqual([]);
  });
});
