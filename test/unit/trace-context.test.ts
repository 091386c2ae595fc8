import { describe, expect, it } from 'vitest';
import {
  childOf,
  formatTraceparent,
  parseTraceparent,
  startTrace,
  traceEnv,
  traceHeaders,
  traceOf,
  withTraceHeaders,
} from '../../src/trace/trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const VALID = `00-${TRACE}-${PARENT}-01`;

describe('W3C trace context', () => {
  it('reads a valid version-00 traceparent, from a string or a byte array', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: TRACE, spanId: PARENT, flags: '01' });
    expect(parseTraceparent(Buffer.from(`00-${TRACE}-${PARENT}-00`))).toEqual({
      traceId: TRACE,
      spanId: PARENT,
      flags: '00',
    });
  });

  it.each([
    ['another version', `01-${TRACE}-${PARENT}-01`],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['a short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['a long parent id', `00-${TRACE}-${PARENT}0-01`],
    ['one flag digit', `00-${TRACE}-${PARENT}-1`],
    ['a trailing field', `${VALID}-extra`],
    ['surrounding spaces', ` ${VALID} `],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['non-hex characters', `00-${TRACE.replace('4', 'g')}-${PARENT}-01`],
    ['the empty string', ''],
    ['a number', 42],
  ])('refuses a traceparent with %s', (_what, value) => {
    expect(parseTraceparent(value)).toHaveProperty('invalid');
  });

  it('formats what it parses back to the same header', () => {
    const parsed = parseTraceparent(VALID);
    expect('invalid' in parsed).toBe(false);
    if (!('invalid' in parsed)) expect(formatTraceparent(parsed)).toBe(VALID);
  });

  it('starts a sampled trace with random, valid, non-zero ids', () => {
    const a = startTrace();
    const b = startTrace();
    expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(a.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(a.flags).toBe('01');
    expect(a.traceId).not.toBe(b.traceId);
    expect(parseTraceparent(formatTraceparent(a))).toEqual({ traceId: a.traceId, spanId: a.spanId, flags: '01' });
  });

  it('makes a child span: the same trace id, flags and tracestate, a span id of its own', () => {
    const parent = { traceId: TRACE, spanId: PARENT, flags: '00', tracestate: 'congo=t61rcWkgMzE' };
    const child = childOf(parent);
    expect(child).toMatchObject({ traceId: TRACE, flags: '00', tracestate: 'congo=t61rcWkgMzE' });
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.spanId).not.toBe(PARENT);
  });

  it('works a message with a valid traceparent as a child of it, passing its tracestate on as it is', () => {
    const trace = traceOf({ traceparent: VALID, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' });
    expect(trace.invalid).toBeUndefined();
    expect(trace.parent).toEqual({
      traceId: TRACE,
      spanId: PARENT,
      flags: '01',
      tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    });
    expect(trace.span.traceId).toBe(TRACE);
    expect(trace.span.spanId).not.toBe(PARENT);
    expect(traceHeaders(trace.span)).toEqual({
      traceparent: `00-${TRACE}-${trace.span.spanId}-01`,
      tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    });
  });

  it('gives a message without a traceparent a new sampled trace, and says nothing is wrong', () => {
    const trace = traceOf({ other: 'x' });
    expect(trace.parent).toBeUndefined();
    expect(trace.invalid).toBeUndefined();
    expect(trace.span.flags).toBe('01');
    expect(traceOf(undefined).span.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('treats an invalid traceparent as absent (a new trace, its tracestate dropped), saying why', () => {
    const trace = traceOf({ traceparent: `00-${'0'.repeat(32)}-${PARENT}-01`, tracestate: 'congo=t61rcWkgMzE' });
    expect(trace.invalid).toMatch(/trace id is all zeros/);
    expect(trace.parent).toBeUndefined();
    expect(trace.span.traceId).not.toBe('0'.repeat(32));
    expect(trace.span.tracestate).toBeUndefined();
  });

  it('drops a tracestate that is empty, longer than 512 characters or not printable ASCII', () => {
    for (const tracestate of ['', `a=${'x'.repeat(511)}`, 'a=b\nc=d'])
      expect(traceOf({ traceparent: VALID, tracestate }).span.tracestate).toBeUndefined();
    expect(traceOf({ traceparent: VALID, tracestate: `a=${'x'.repeat(510)}` }).span.tracestate).toHaveLength(512);
  });

  it("replaces a copy's trace headers with the worker's span, keeping the other headers", () => {
    const span = { traceId: TRACE, spanId: 'b7ad6b7169203331', flags: '01' };
    expect(withTraceHeaders({ traceparent: VALID, tracestate: 'x=y', 'x-dispatch-attempt': 2 }, span)).toEqual({
      traceparent: `00-${TRACE}-b7ad6b7169203331-01`,
      'x-dispatch-attempt': 2,
    });
    expect(withTraceHeaders(undefined, { ...span, tracestate: 'x=y' })).toEqual({
      traceparent: `00-${TRACE}-b7ad6b7169203331-01`,
      tracestate: 'x=y',
    });
  });

  it('puts TRACEPARENT and TRACESTATE in an environment as OpenTelemetry SDKs read them', () => {
    const span = { traceId: TRACE, spanId: 'b7ad6b7169203331', flags: '01' };
    expect(traceEnv(span)).toEqual([`TRACEPARENT=00-${TRACE}-b7ad6b7169203331-01`]);
    expect(traceEnv({ ...span, tracestate: 'x=y' })).toEqual([
      `TRACEPARENT=00-${TRACE}-b7ad6b7169203331-01`,
      'TRACESTATE=x=y',
    ]);
  });
});
