import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CountingProxy } from '../support/counting-proxy.js';
import { startHarness, type Harness } from '../support/harness.js';
import { eventually } from '../support/http.js';
import { services, unique } from '../support/services.js';
import { scratchPath } from '../support/scratch.js';

/**
 * What the worker asks of an engine in the background, whatever the messages: health pings, and the inventory's event
 * stream, list and version read (at start-up, after a dropped stream, and every few minutes).
 */
const BACKGROUND = ['GET /_ping', 'GET /events', 'GET /containers/json', 'GET /version'];

describe('Engine API calls per message: no more than the direct sequence', () => {
  let h: Harness;
  let proxy: CountingProxy;
  beforeAll(async () => {
    proxy = await CountingProxy.start(services().hostA, { listenPath: scratchPath(`${unique('dd-calls')}.sock`) });
    h = await startHarness('dd-calls', ['--health-interval', '60'], `a=${proxy.address}`);
    // The inventory is synced once the worker has listed the engine (after opening its event stream).
    await eventually('the first list', () =>
      Promise.resolve(proxy.counts.get('GET /containers/json') ? true : undefined),
    );
  });
  afterAll(async () => {
    await h?.cleanup();
    await proxy?.close();
  });

  const calls = () => Object.fromEntries(proxy.callsBut(...BACKGROUND));

  it('a detached run: create and start, as a direct client (2 calls; its name comes from the create event)', async () => {
    proxy.reset();
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'run', Image: h.image, Cmd: ['true'] });
    expect(body).toMatchObject({ Status: 'ok', Host: 'a' });
    expect(body.Container?.Name).toMatch(/^[a-z]+_[a-z]+$/); // the engine's own choice
    expect(calls()).toEqual({ 'POST /containers/create': 1, 'POST /containers/{id}/start': 1 });
  });

  it('an attached run with Remove: create, attach, wait, start, remove, as a direct client (5 calls)', async () => {
    proxy.reset();
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['echo', 'hi'],
      Options: { Attach: ['STDOUT', 'STDERR'], Remove: true },
    });
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: 'hi\n' });
    expect(calls()).toEqual({
      'POST /containers/create': 1,
      'POST /containers/{id}/attach': 1,
      'POST /containers/{id}/wait': 1,
      'POST /containers/{id}/start': 1,
      'DELETE /containers/{id}': 1,
    });
  });

  it('a create: one call', async () => {
    proxy.reset();
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'create', Image: h.image, Cmd: ['true'] });
    expect(body).toMatchObject({ Status: 'ok', Host: 'a' });
    expect(body.Container?.Name).toMatch(/^[a-z]+_[a-z]+$/);
    expect(calls()).toEqual({ 'POST /containers/create': 1 });
  });

  it('a hosts message: none (health, counts and versions come from each engine loop)', async () => {
    proxy.reset();
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'hosts' });
    expect(body.Hosts?.[0]).toMatchObject({ Name: 'a', Healthy: true });
    expect(typeof body.Hosts?.[0]?.Running).toBe('number');
    expect(body.Hosts?.[0]?.Version).toMatch(/^\d+\./);
    expect(calls()).toEqual({});
  });
});
