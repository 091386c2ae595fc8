import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CountingProxy } from '../support/counting-proxy.js';
import { startHarness, type Harness } from '../support/harness.js';
import { eventually } from '../support/http.js';
import { services, unique } from '../support/services.js';
import { scratchPath } from '../support/scratch.js';

/**
 * The calls an engine's loop makes whatever the messages: health pings and the long-lived event stream. Each time the
 * stream is opened (at start, or again after it dropped) the loop also lists the engine and reads its version once;
 * those are left out only alongside the stream they came with.
 */
function beyondTheLoop(proxy: CountingProxy): Record<string, number> {
  const calls = Object.fromEntries(proxy.callsBut('GET /_ping', 'GET /events'));
  const streams = proxy.counts.get('GET /events') ?? 0;
  for (const sync of ['GET /containers/json', 'GET /version']) {
    const left = (calls[sync] ?? 0) - streams;
    if (left > 0) calls[sync] = left;
    else delete calls[sync];
  }
  return calls;
}

describe('Engine API calls per message: the direct sequence on the chosen engine, nothing on the others', () => {
  let h: Harness;
  let proxies: Record<'a' | 'b' | 'c', CountingProxy>;
  beforeAll(async () => {
    const { hostA, hostB } = services();
    const socket = (name: string) => ({ listenPath: scratchPath(`${unique(`dd-calls-${name}`)}.sock`) });
    proxies = {
      a: await CountingProxy.start(hostA, socket('a')),
      b: await CountingProxy.start(hostB, socket('b')),
      // An engine that drops every packet: quarantined from the start, it must not be waited for.
      c: await CountingProxy.blackHole(socket('c')),
    };
    const pool = (['a', 'b', 'c'] as const).map((id) => `${id}=${proxies[id].address}`).join(',');
    h = await startHarness('dd-calls', ['--health-interval', '60'], pool);
    // The inventories are synced once the worker has listed the engines (after opening their event streams).
    await eventually('the first lists', () =>
      Promise.resolve(
        proxies.a.counts.get('GET /containers/json') && proxies.b.counts.get('GET /containers/json') ? true : undefined,
      ),
    );
  });
  afterAll(async () => {
    await h?.cleanup();
    for (const proxy of Object.values(proxies ?? {})) await proxy.close();
  });

  const reset = () => Object.values(proxies).forEach((proxy) => proxy.reset());
  /** Every engine's calls but its loop's, by engine. */
  const calls = () => Object.fromEntries(Object.entries(proxies).map(([id, proxy]) => [id, beyondTheLoop(proxy)]));
  /** The quarantined engine is pinged, and nothing else: not even an event stream. */
  const onlyPinged = () => expect(proxies.c.callsBut('GET /_ping')).toEqual([]);

  it('a detached run: create and start on the chosen engine, as a direct client (2 calls), none elsewhere', async () => {
    reset();
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'run', Image: h.image, Cmd: ['true'] });
    expect(body).toMatchObject({ Status: 'ok' });
    expect(['a', 'b']).toContain(body.Host);
    expect(body.Container?.Name).toMatch(/^[a-z]+_[a-z]+$/); // the engine's own choice
    const other = body.Host === 'a' ? 'b' : 'a';
    expect(calls()).toEqual({
      [body.Host!]: { 'POST /containers/create': 1, 'POST /containers/{id}/start': 1 },
      [other]: {},
      c: {},
    });
    onlyPinged();
  });

  it('an attached run with Remove: create, attach, wait, start, remove on the chosen engine (5 calls), none elsewhere', async () => {
    reset();
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['echo', 'hi'],
      Options: { Attach: ['STDOUT', 'STDERR'], Remove: true },
    });
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'hi\n' });
    expect(['a', 'b']).toContain(body.Host);
    const other = body.Host === 'a' ? 'b' : 'a';
    expect(calls()).toEqual({
      [body.Host!]: {
        'POST /containers/create': 1,
        'POST /containers/{id}/attach': 1,
        'POST /containers/{id}/wait': 1,
        'POST /containers/{id}/start': 1,
        'DELETE /containers/{id}': 1,
      },
      [other]: {},
      c: {},
    });
    onlyPinged();
  });

  it('ten detached runs at once: create and start each on its engine, no list on any engine', async () => {
    reset();
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => h.broker.request(h.queue, { Dockercmd: 'run', Image: h.image, Cmd: ['true'] })),
    );
    expect(replies.map(({ body }) => body.Status)).toEqual(Array(10).fill('ok'));
    const sequence = (id: string) => {
      const n = replies.filter(({ body }) => body.Host === id).length;
      return n === 0 ? {} : { 'POST /containers/create': n, 'POST /containers/{id}/start': n };
    };
    expect(calls()).toEqual({ a: sequence('a'), b: sequence('b'), c: {} });
    onlyPinged();
  });

  it('a create: one call', async () => {
    reset();
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'create', Image: h.image, Cmd: ['true'] });
    expect(body).toMatchObject({ Status: 'ok' });
    expect(body.Container?.Name).toMatch(/^[a-z]+_[a-z]+$/);
    const other = body.Host === 'a' ? 'b' : 'a';
    expect(calls()).toEqual({ [body.Host!]: { 'POST /containers/create': 1 }, [other]: {}, c: {} });
    onlyPinged();
  });

  it('a hosts message: none (health, counts and versions come from each engine loop)', async () => {
    reset();
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'hosts' });
    expect(body.Hosts?.[0]).toMatchObject({ Name: 'a', Healthy: true });
    expect(typeof body.Hosts?.[0]?.Running).toBe('number');
    expect(body.Hosts?.[0]?.Version).toMatch(/^\d+\./);
    expect(body.Hosts?.[2]).toMatchObject({ Name: 'c', Healthy: false, Running: null });
    expect(calls()).toEqual({ a: {}, b: {}, c: {} });
    onlyPinged();
  });

  it('says once, not per message, that first deliveries skip the quarantined engine', () => {
    const skipped = h.worker
      .logs()
      .filter((l) => String(l.msg).startsWith('engine c is quarantined: first deliveries'));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ level: 40, host: 'c' });
  });
});
