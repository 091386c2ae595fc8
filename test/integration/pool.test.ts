import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CountingProxy } from '../support/counting-proxy.js';
import { echoRun, exists, hostsFile, startHarness, type Harness } from '../support/harness.js';
import { eventually, getText, sample, statusUrl } from '../support/http.js';
import { services, tlsEngine } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

describe('placement', () => {
  let h: Harness;
  beforeAll(async () => {
    const { hostA, hostB } = services();
    const file = hostsFile([
      { Name: 'a', Address: hostA, Labels: { zone: 'east' } },
      { Name: 'b', Address: hostB, Labels: { zone: 'west', disk: 'ssd' } },
    ]);
    h = await startHarness('dd-place', ['--hosts', file], '');
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('pins a run to the engine named by Options.Host', async () => {
    for (const host of ['b', 'a', 'b']) {
      expect((await h.broker.request(h.queue, echoRun(h.image, { Host: host }))).body).toMatchObject({
        Status: 'ok',
        Host: host,
      });
    }
  });

  it('answers InvalidMessage naming an unknown Options.Host, and dead-letters it', async () => {
    const { body } = await h.broker.request(h.queue, echoRun(h.image, { Host: 'nowhere' }));
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'InvalidMessage' } });
    expect(body.Error?.Message).toContain('no engine named "nowhere" (engines: a, b)');
    await h.broker.take(h.deadLetterQueue);
  });

  it('runs only on engines whose labels match Options.Constraints', async () => {
    for (let i = 0; i < 3; i++) {
      const { body } = await h.broker.request(h.queue, echoRun(h.image, { Constraints: { zone: 'west' } }));
      expect(body).toMatchObject({ Status: 'ok', Host: 'b' });
    }
  });

  it('answers NoMatchingHost when no engine has all the labels asked for', async () => {
    const { body } = await h.broker.request(h.queue, echoRun(h.image, { Constraints: { zone: 'east', disk: 'ssd' } }));
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'NoMatchingHost' } });
    expect(body.Error?.Message).toContain('"zone":"east"');
    expect((await h.broker.take(h.deadLetterQueue)).properties.headers?.['x-dispatch-error-code']).toBe(
      'NoMatchingHost',
    );
  });

  it('the hosts command lists every engine with its address, labels, health, running containers, vendor and version', async () => {
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'hosts' });
    const { hostA, hostB } = services();
    expect(body.Status).toBe('ok');
    expect(body.Hosts?.map(({ Running: _r, Version: _v, Vendor: _vendor, ...rest }) => rest)).toEqual([
      { Name: 'a', Address: hostA, Labels: { zone: 'east' }, Healthy: true },
      { Name: 'b', Address: hostB, Labels: { zone: 'west', disk: 'ssd' }, Healthy: true },
    ]);
    for (const engine of body.Hosts ?? []) {
      expect(typeof engine.Running).toBe('number');
      expect(engine.Version).toMatch(/^\d+\./);
      expect(engine.Vendor).toBe('docker');
    }
    expect(h.worker.stdout).toContain('ok hosts: engines a (healthy,');
  });

  it('sent only replies that validate against reply.schema.json', () => {
    expect(h.broker.invalidReplies).toEqual([]);
  });
});

describe('hosts file and reload', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  it('refuses a bad hosts file at start-up with one clear line', async () => {
    const file = hostsFile([{ Name: 'a', Labels: { x: 1 } }]);
    const worker = WorkerProcess.spawn(['--hosts', file, services().amqpUrl]);
    expect(await worker.exited).toBe(1);
    expect(worker.stderr.trim().split('\n')).toHaveLength(1);
    expect(worker.stderr).toContain(
      `invalid hosts file ${file}: [0].Address is required; [0].Labels.x must be a string`,
    );
  });

  it('SIGHUP re-reads the hosts file: engines join, change, or take no new work; work in flight goes on', async () => {
    const { hostA, hostB } = services();
    const file = hostsFile([{ Name: 'a', Address: hostA }]);
    h = await startHarness('dd-reload', ['--hosts', file], '');
    expect((await h.broker.request(h.queue, echoRun(h.image, { Host: 'b' }))).body.Error?.Code).toBe('InvalidMessage');

    writeFileSync(
      file,
      JSON.stringify([
        { Name: 'a', Address: hostA, MaxContainers: 5 },
        { Name: 'b', Address: hostB },
      ]),
    );
    h.worker.child.kill('SIGHUP');
    const worker = h.worker;
    await worker.waitFor(() => worker.stderr.includes('SIGHUP: re-read'));
    expect((await h.broker.request(h.queue, echoRun(h.image, { Host: 'b' }))).body).toMatchObject({
      Status: 'ok',
      Host: 'b',
    });
    // A changed entry takes effect: a now has a capacity, which the hosts reply shows.
    const before = (await h.broker.request(h.queue, { Dockercmd: 'hosts' })).body;
    expect(before.Hosts?.map((e) => [e.Name, e.Capacity])).toEqual([
      ['a', 5],
      ['b', undefined],
    ]);

    // A run in flight on a is not disturbed when a leaves the pool.
    const inFlight = h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', 'echo begun; sleep 2; echo ended'],
      Options: { Attach: ['STDOUT'], Remove: true, Host: 'a' },
    });
    await worker.waitFor(() => worker.stdout.includes('| begun'));
    writeFileSync(file, JSON.stringify([{ Name: 'b', Address: hostB, Labels: { zone: 'west' } }]));
    h.worker.child.kill('SIGHUP');
    await worker.waitFor(() => worker.stderr.split('SIGHUP: re-read').length > 2);
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'hosts' });
    expect(body.Hosts?.map((e) => [e.Name, e.Labels])).toEqual([['b', { zone: 'west' }]]);
    for (let i = 0; i < 2; i++) expect((await h.broker.request(h.queue, echoRun(h.image))).body.Host).toBe('b');
    const finished = (await inFlight).body;
    expect(finished).toMatchObject({ Status: 'ok', Host: 'a', ExitCode: 0, Stdout: 'begun\nended\n' });
    expect(await exists(h.engines.a, finished.Container!.Id)).toBe(false);

    // A broken file changes nothing.
    writeFileSync(file, '[{"Name": "b"');
    h.worker.child.kill('SIGHUP');
    await worker.waitFor(() => worker.stderr.includes('could not re-read'));
    expect((await h.broker.request(h.queue, echoRun(h.image))).body).toMatchObject({ Status: 'ok', Host: 'b' });
  });
});

describe('reload and the HTTP side', () => {
  let h: Harness | undefined;
  let proxy: CountingProxy | undefined;
  afterEach(async () => {
    await h?.cleanup();
    await proxy?.close();
    h = proxy = undefined;
  });

  it("SIGHUP: an added engine's running count shows in /metrics and /api/status, a changed one is asked at its new address, \
a removed one disappears", async () => {
    const { hostA, hostB } = services();
    const file = hostsFile([{ Name: 'a', Address: hostA }]);
    h = await startHarness('dd-reload-http', ['--hosts', file, '--http-port', '0'], '');
    const url = await statusUrl(h.worker);
    const worker = h.worker;
    const reloads = () => worker.stderr.split('SIGHUP: re-read').length - 1;
    const running = async (engine: string) => ({
      metrics: sample((await getText(`${url}metrics`)).text, `docker_dispatch_containers_running{engine="${engine}"}`),
      status: (
        JSON.parse((await getText(`${url}api/status`)).text) as { engines: { id: string; running: number | null }[] }
      ).engines.find((e) => e.id === engine)?.running,
    });

    writeFileSync(
      file,
      JSON.stringify([
        { Name: 'a', Address: hostA },
        { Name: 'b', Address: hostB },
      ]),
    );
    h.worker.child.kill('SIGHUP');
    await worker.waitFor(() => reloads() === 1);
    const inFlight = h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['sh', '-c', 'echo begun; sleep 4'],
      Options: { Attach: ['STDOUT'], Remove: true, Host: 'b' },
    });
    await worker.waitFor(() => worker.stdout.includes('| begun'));
    const seen = await eventually(
      'b running in /metrics and /api/status',
      async () => {
        const now = await running('b');
        return (now.metrics ?? 0) >= 1 && (now.status ?? 0) >= 1 ? now : undefined;
      },
      5000,
    );
    expect(seen.metrics).toBe(seen.status);

    // a, changed: the same engine behind a proxy that counts what reaches it.
    proxy = await CountingProxy.start(hostA);
    writeFileSync(
      file,
      JSON.stringify([
        { Name: 'a', Address: proxy.address },
        { Name: 'b', Address: hostB },
      ]),
    );
    h.worker.child.kill('SIGHUP');
    await worker.waitFor(() => reloads() === 2);
    await eventually(
      'a asked at its new address',
      () => Promise.resolve(proxy!.counts.get('GET /events') ? true : undefined),
      5000,
    );

    writeFileSync(file, JSON.stringify([{ Name: 'b', Address: hostB }]));
    h.worker.child.kill('SIGHUP');
    await worker.waitFor(() => reloads() === 3);
    expect(await running('a')).toEqual({ metrics: undefined, status: undefined });
    expect((await inFlight).body).toMatchObject({ Status: 'ok', Host: 'b' });
  });
});

describe('TLS engines', () => {
  it('runs containers on an https:// engine with the CA and client certificate given by flags', async () => {
    const { address, dir } = tlsEngine();
    const tls = ['--tls-ca', `${dir}/ca.pem`, '--tls-cert', `${dir}/cert.pem`, '--tls-key', `${dir}/key.pem`];
    const h = await startHarness('dd-tls', tls, `secure=${address}`);
    try {
      expect((await h.broker.request(h.queue, echoRun(h.image))).body).toMatchObject({
        Status: 'ok',
        Host: 'secure',
        Stdout: 'hi\n',
      });
    } finally {
      await h.cleanup();
    }
  });

  it('takes per-engine Tls files from the hosts file', async () => {
    const { address, dir } = tlsEngine();
    const file = hostsFile([
      {
        Name: 'secure',
        Address: address,
        Tls: { Ca: `${dir}/ca.pem`, Cert: `${dir}/cert.pem`, Key: `${dir}/key.pem` },
      },
    ]);
    const h = await startHarness('dd-tls-file', ['--hosts', file], '');
    try {
      expect((await h.broker.request(h.queue, echoRun(h.image))).body).toMatchObject({ Status: 'ok', Host: 'secure' });
    } finally {
      await h.cleanup();
    }
  });

  it('refuses an engine whose certificate does not verify against the CA it was given', async () => {
    const { address, dir } = tlsEngine();
    const worker = WorkerProcess.spawn([
      '--tls-ca',
      `${dir}/other-ca.pem`,
      '--tls-cert',
      `${dir}/cert.pem`,
      '--tls-key',
      `${dir}/key.pem`,
      `secure=${address}`,
      services().amqpUrl,
    ]);
    expect(await worker.exited).toBe(1);
    expect(worker.stderr).toMatch(
      /no Docker engine answers: secure \(https:\/\/127\.0\.0\.1:23752\): .*(certificate|self.signed)/i,
    );
  });

  it('says which TLS file it cannot read', async () => {
    const { address } = tlsEngine();
    const worker = WorkerProcess.spawn(['--tls-ca', '/nonexistent/ca.pem', `secure=${address}`, services().amqpUrl]);
    expect(await worker.exited).toBe(1);
    expect(worker.stderr).toContain('cannot read the TLS CA of engine secure (/nonexistent/ca.pem)');
  });
});
