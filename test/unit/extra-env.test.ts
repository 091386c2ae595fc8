import { describe, expect, it } from 'vitest';
import { withExtraEnv } from '../../src/commands/context.js';

describe("the worker's own environment entries (--trace-env)", () => {
  it("come after the message's Env", () => {
    expect(withExtraEnv(['A=1'], ['TRACEPARENT=00-x'])).toEqual(['A=1', 'TRACEPARENT=00-x']);
    expect(withExtraEnv(undefined, ['TRACEPARENT=00-x'])).toEqual(['TRACEPARENT=00-x']);
  });

  it('leave out a key the message sets itself', () => {
    expect(withExtraEnv(['TRACEPARENT=mine', 'B=2'], ['TRACEPARENT=00-x', 'TRACESTATE=s'])).toEqual([
      'TRACEPARENT=mine',
      'B=2',
      'TRACESTATE=s',
    ]);
  });

  it("leave the message's Env as it is when there are none", () => {
    expect(withExtraEnv(undefined, undefined)).toBeUndefined();
    expect(withExtraEnv(['A=1'], [])).toEqual(['A=1']);
  });
});
