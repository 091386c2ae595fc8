import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClient } from '../support/client-process.js';
import { startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE}-${PARENT}-01`;
/** A version-00 traceparent; captures the trace id, the parent (span) id and the flags. */
const VALID = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The trace id and span id of a traceparent header, which must be valid. */
function fieldsOf(header: unknown): { traceId: string; spanId: string; flags: string } {
  const match = VALID.exec(String(header));
  expect(match, `traceparent ${String(header)}`).not.toBeNull();
  return { traceId: match![1]!, spanId: match![2]!, flags: match![3]! };
}

describe('trace context (W3C traceparent and tracestate headers)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('dd-trace', ['--trace-env', '--log-level', 'debug']);
  });
  afterAll(async () => {
    await h?.cleanup();
  });
  const linesAbout = (messageId: string) => h.worker.logs().filter((l) => l.messageId === messageId);

  it("works on a message in its traceparent's trace: the reply, the output and every log line carry it", async () => {
    const messageId = unique('traced');
    const correlationId = unique('corr');
    const run = {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['echo', 'hi'],
      Options: { Attach: ['STDOUT'], Remove: true, Stream: true },
    };
    const { body, properties } = await h.broker.request(h.queue, run, {
      messageId,
      correlationId,
      headers: { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' },
    });
    expect(body).toMatchObject({ Status: 'ok', Stdout: 'hi\n' });
    const reply = fieldsOf(properties.headers?.traceparent);
    expect(reply.traceId).toBe(TRACE);
    expect(reply.spanId).not.toBe(PARENT);
    expect(reply.flags).toBe('01');
    expect(properties.headers?.tracestate).toBe('congo=t61rcWkgMzE');

    const outputs = h.broker.outputs.get(correlationId) ?? [];
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) expect(output.properties.headers?.traceparent).toBe(properties.headers?.traceparent);

    // n.b. the result line is logged once the message is acked, after its reply.
    await h.worker.waitFor(() => linesAbout(messageId).some((l) => l.msg === 'done'));
    const lines = linesAbout(messageId);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['carrying out', 'container started', 'done']));
    for (const line of lines) expect(line).toMatchObject({ trace_id: TRACE, span_id: reply.spanId, trace_flags: '01' });
  });

  it('gives a message without a traceparent a new trace, so its reply has a valid one', async () => {
    const messageId = unique('untraced');
    const { properties } = await h.broker.request(h.queue, { Dockercmd: 'hosts' }, { messageId });
    const reply = fieldsOf(properties.headers?.traceparent);
    expect(reply.traceId).not.toBe('0'.repeat(32));
    expect(reply.flags).toBe('01');
    expect(properties.headers).not.toHaveProperty('tracestate');
    for (const line of linesAbout(messageId)) expect(line).toMatchObject({ trace_id: reply.traceId });
  });

  it('treats an invalid traceparent as absent: a new trace, its tracestate dropped, and a debug line saying why', async () => {
    const messageId = unique('badtrace');
    const { properties } = await h.broker.request(
      h.queue,
      { Dockercmd: 'hosts' },
      { messageId, headers: { traceparent: `00-${TRACE.toUpperCase()}-${PARENT}-01`, tracestate: 'congo=x' } },
    );
    const reply = fieldsOf(properties.headers?.traceparent);
    expect(reply.traceId).not.toBe(TRACE);
    expect(properties.headers).not.toHaveProperty('tracestate');
    const ignored = linesAbout(messageId).find((l) => String(l.msg).startsWith('traceparent header ignored'));
    expect(ignored).toMatchObject({ level: 20, trace_id: reply.traceId });
  });

  it("gives the dead-letter copy the reply's traceparent", async () => {
    const messageId = unique('dead-traced');
    const { body, properties } = await h.broker.request(
      h.queue,
      { Dockercmd: 'run', Options: { Attach: ['STDOUT'] } },
      { messageId, headers: { traceparent: TRACEPARENT, 'x-producer': 'kept' } },
    );
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'InvalidMessage' } });
    const dead = await h.broker.take(h.deadLetterQueue);
    expect(dead.properties.messageId).toBe(messageId);
    expect(dead.properties.headers).toMatchObject({
      traceparent: properties.headers?.traceparent as string,
      'x-producer': 'kept',
      'x-dispatch-error-code': 'InvalidMessage',
    });
    expect(fieldsOf(dead.properties.headers?.traceparent).traceId).toBe(TRACE);
  });

  it("--trace-env: the container sees TRACEPARENT (the worker's span as parent) and TRACESTATE", async () => {
    const run = {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', 'echo "$TRACEPARENT"; echo "$TRACESTATE"'],
      Options: { Attach: ['STDOUT'], Remove: true },
    };
    const { body, properties } = await h.broker.request(h.queue, run, {
      headers: { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' },
    });
    expect(body.Stdout).toBe(`${String(properties.headers?.traceparent)}\ncongo=t61rcWkgMzE\n`);
    expect(fieldsOf(body.Stdout!.split('\n')[0]).traceId).toBe(TRACE);
  });

  it('--trace-env: a create gets TRACEPARENT too, and a message that sets TRACEPARENT in Env keeps its own', async () => {
    const name = unique('traced-create');
    const { body, properties } = await h.broker.request(
      h.queue,
      { Dockercmd: 'create', Image: h.image, Cmd: ['true'], Options: { Name: name, Env: ['MODE=x'] } },
      { headers: { traceparent: TRACEPARENT } },
    );
    expect(body).toMatchObject({ Status: 'ok' });
    const engine = body.Host === 'a' ? h.engines.a : h.engines.b;
    const info = await engine.getContainer(name).inspect();
    expect(info.Config.Env).toEqual(
      expect.arrayContaining(['MODE=x', `TRACEPARENT=${String(properties.headers?.traceparent)}`]),
    );

    const own = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', 'echo "$TRACEPARENT"'],
      Options: { Attach: ['STDOUT'], Remove: true, Env: ['TRACEPARENT=mine'] },
    });
    expect(own.body.Stdout).toBe('mine\n');
  });

  it('send starts a trace and prints its id with --verbose; the worker works the message in it', async () => {
    const run = await runClient(['send', '-q', h.queue, '--verbose', h.amqpUrl, '{"Dockercmd":"hosts"}']);
    expect(run.code).toBe(0);
    const match = /^docker-dispatch: message ([0-9a-f-]{36}), trace ([0-9a-f]{32})$/m.exec(run.stderr);
    expect(match, run.stderr).not.toBeNull();
    const [, messageId, traceId] = match!;
    const lines = linesAbout(messageId!);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.trace_id).toBe(traceId);
    // Without --verbose, nothing of it.
    const quiet = await runClient(['send', '-q', h.queue, h.amqpUrl, '{"Dockercmd":"hosts"}']);
    expect(quiet.stderr).not.toContain('trace');
  });
});

describe('trace context across a retry', () => {
  let h: Harness;
  beforeAll(async () => {
    const { hostA } = services();
    // A long retry delay: the test takes the retry copy from the retry queue itself.
    h = await startHarness(
      'dd-trace-retry',
      ['--max-retries', '1', '--retry-delay', '60'],
      `a=${hostA},gone=unix:///tmp/${unique('no-engine')}.sock`,
    );
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it("the retry copy names the failed attempt's span as parent; the next attempt is its child, in the same trace", async () => {
    const messageId = unique('retried');
    const correlationId = unique('corr');
    const reply = h.broker.replyFor(correlationId, 45_000);
    h.broker.publish(
      h.queue,
      { Dockercmd: 'stop', Container: unique('maybe-on-gone') },
      { messageId, correlationId, replyTo: h.broker.replyTo, headers: { traceparent: TRACEPARENT, tracestate: 'a=b' } },
    );
    const copy = await h.broker.take(`${h.queue}.retry`);
    const first = h.worker.logs().filter((l) => l.messageId === messageId);
    expect(first.length).toBeGreaterThan(0);
    const firstSpan = String(first[0]!.span_id);
    for (const line of first) expect(line).toMatchObject({ trace_id: TRACE, span_id: firstSpan });
    expect(copy.properties.headers).toMatchObject({
      traceparent: `00-${TRACE}-${firstSpan}-01`,
      tracestate: 'a=b',
      'x-dispatch-attempt': 2,
    });

    // As the retry queue would after its TTL: the copy back on the command queue, as attempt 2 (the last).
    h.broker.publish(h.queue, copy.content, copy.properties);
    const { body, properties } = await reply;
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'DockerUnavailable' } });
    const last = fieldsOf(properties.headers?.traceparent);
    expect(last.traceId).toBe(TRACE);
    expect(last.spanId).not.toBe(firstSpan);
    const second = () => h.worker.logs().filter((l) => l.messageId === messageId && l.span_id !== firstSpan);
    await h.worker.waitFor(() => second().some((l) => l.msg === 'failed: replied and dead-lettered'));
    for (const line of second()) expect(line).toMatchObject({ trace_id: TRACE, span_id: last.spanId });
    const dead = await h.broker.take(h.deadLetterQueue);
    expect(dead.properties.headers?.traceparent).toBe(properties.headers?.traceparent);
  });
});

describe('trace context across a hand-over', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('dd-trace-handover', ['--ack-deadline', '5']);
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('a run handed over at its ack deadline is answered in the same trace, by a span of the taker', async () => {
    const messageId = unique('handed');
    const run = { Dockercmd: 'run', Image: h.image, Cmd: ['sleep', '7'], Options: { Remove: true } };
    const { body, properties } = await h.broker.request(
      h.queue,
      run,
      { messageId, headers: { traceparent: TRACEPARENT } },
      60_000,
    );
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0 });
    const lines = h.worker.logs().filter((l) => l.messageId === messageId);
    const handedOver = lines.find((l) => String(l.msg).startsWith('the ack deadline passed: handed over'));
    expect(handedOver).toMatchObject({ trace_id: TRACE });
    const answer = fieldsOf(properties.headers?.traceparent);
    expect(answer.traceId).toBe(TRACE);
    expect(answer.spanId).not.toBe(handedOver!.span_id);
    expect(lines.filter((l) => l.span_id === answer.spanId).length).toBeGreaterThan(0);
  });
});
