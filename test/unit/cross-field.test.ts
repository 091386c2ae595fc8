import { describe, expect, it } from 'vitest';
import { crossFieldProblem } from '../../src/messages/cross-field.js';
import type { RunMessage } from '../../src/messages/types.js';

const run = (options: RunMessage['Options'], instances?: number): RunMessage => ({
  Dockercmd: 'run',
  Image: 'busybox',
  ...(instances === undefined ? {} : { Instances: instances }),
  Options: options,
});

describe('fields that do not go together (crossFieldProblem)', () => {
  it('Stream needs STDOUT or STDERR attached, and a reply_to', () => {
    expect(crossFieldProblem(run({ Stream: true }), 'q')?.message).toContain('Options.Stream needs Options.Attach');
    expect(crossFieldProblem(run({ Stream: true, Attach: ['STDIN'] }), 'q')?.code).toBe('InvalidMessage');
    expect(crossFieldProblem(run({ Stream: true, Attach: ['STDERR'] }), undefined)?.message).toContain('reply_to');
    expect(crossFieldProblem(run({ Stream: true, Attach: ['STDERR'] }), 'q')).toBeUndefined();
    expect(crossFieldProblem(run({ Stream: false }), undefined)).toBeUndefined();
  });

  it('Retry.Max × Instances is at most 100 (Max 3 when not given)', () => {
    expect(crossFieldProblem(run({ Retry: { ExitCodes: [75], Max: 10 } }, 10), undefined)).toBeUndefined();
    expect(crossFieldProblem(run({ Retry: { ExitCodes: [75], Max: 10 } }, 11), undefined)?.message).toContain(
      'Options.Retry.Max × Instances must be at most 100 (it is 10 × 11)',
    );
    expect(crossFieldProblem(run({ Retry: { ExitCodes: [75] } }, 34), undefined)?.message).toContain('3 × 34');
  });
});
