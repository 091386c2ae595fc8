import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBroker } from '../support/broker.js';
import { countCreates } from '../support/engine-events.js';
import { startHarness, type Harness } from '../support/harness.js';
import { dockerClient, removeContainers, services, tlsEngine, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

const POLICY = [
  '--allow-image',
  'docker-dispatch-test:*',
  '--default-memory',
  '64m',
  '--max-memory',
  '256m',
  '--default-cpus',
  '0.5',
  '--max-cpus',
  '1',
  '--default-pids-limit',
  '64',
  '--max-pids-limit',
  '128',
  '--user',
  '65534',
  '--read-only',
  '--cap-drop-all',
];
const SECRET_ENV = 'sup3r-s3cret-env-value';

describe('security policy', () => {
  let h: Harness;
  const replies: unknown[] = [];
  beforeAll(async () => {
    h = await startHarness('dd-policy', POLICY);
  });
  afterAll(async () => {
    await h?.cleanup();
  });
  const request = async (message: unknown, messageId = unique('sec')) => {
    const reply = await h.broker.request(h.queue, message, { messageId });
    replies.push(reply.body);
    return reply.body;
  };
  const inspect = async (host: string | undefined, id: string) =>
    (host === 'a' ? h.engines.a : h.engines.b).getContainer(id).inspect();

  it('hardens every container and applies the default limits, user, read-only root and capability drop', async () => {
    const name = unique('hardened');
    const body = await request({
      Dockercmd: 'run',
      Image: h.image,
      Cmd: [
        'sh',
        '-c',
        'id -u; touch /root-fs-write 2>/dev/null && echo root-writable || echo root-read-only; touch /tmp/x && echo tmp-writable',
      ],
      Options: { Name: name, Attach: ['STDOUT'], Env: [`TOKEN=${SECRET_ENV}`] },
    });
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0, Stdout: '65534\nroot-read-only\ntmp-writable\n' });
    const info = await inspect(body.Host, name);
    expect(info.Config.User).toBe('65534');
    expect(info.HostConfig).toMatchObject({
      Memory: 64 * 1024 ** 2,
      MemorySwap: 64 * 1024 ** 2,
      NanoCpus: 5e8,
      PidsLimit: 64,
      Privileged: false,
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      NetworkMode: 'none',
      PublishAllPorts: false,
    });
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(info.HostConfig.Binds ?? []).toEqual([]);
    expect(info.HostConfig.CapAdd ?? []).toEqual([]);
    expect(info.HostConfig.Devices ?? []).toEqual([]);
  });

  it('hands the engine the full reference --allow-image matched, and replies with the name the message gave', async () => {
    const name = unique('qualified');
    const body = await request({ Dockercmd: 'create', Image: h.image, Cmd: ['true'], Options: { Name: name } });
    expect(body).toMatchObject({ Status: 'ok', Container: { Name: name } });
    // n.b. Docker keeps the reference the create request named: what the policy allowed is what the engine ran.
    expect((await inspect(body.Host, name)).Config.Image).toBe(`docker.io/library/${h.image}`);
    expect(h.worker.stdout + h.worker.stderr).not.toContain(`docker.io/library/${h.image}`);
  });

  it('honours limits a message asks for within the maxima', async () => {
    const name = unique('limits');
    const body = await request({
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['true'],
      Options: { Name: name, Memory: '128m', Cpus: 1, PidsLimit: 100 },
    });
    expect(body.Status).toBe('ok');
    expect((await inspect(body.Host, name)).HostConfig).toMatchObject({
      Memory: 128 * 1024 ** 2,
      MemorySwap: 128 * 1024 ** 2,
      NanoCpus: 1e9,
      PidsLimit: 100,
    });
  });

  it.each<[string, { Image?: string; Options?: Record<string, unknown> }, string]>([
    [
      'an image no --allow-image rule matches',
      { Image: 'busybox' },
      "is not allowed by this worker's --allow-image rules",
    ],
    [
      'memory above --max-memory',
      { Options: { Memory: '1g' } },
      "Options.Memory 1g is above this worker's --max-memory 256m",
    ],
    ['CPUs above --max-cpus', { Options: { Cpus: 2 } }, "Options.Cpus 2 is above this worker's --max-cpus 1"],
    ['a process limit above --max-pids-limit', { Options: { PidsLimit: 1000 } }, 'Options.PidsLimit 1000 is above'],
    ['a user without --allow-user-override', { Options: { User: '0' } }, 'Options.User is not allowed'],
  ])('refuses %s with Denied, dead-letters it, and creates nothing', async (_what, override, phrase) => {
    const messageId = unique('denied');
    const since = Math.floor(Date.now() / 1000);
    const message = {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['true'],
      ...override,
      Options: { Env: [`TOKEN=${SECRET_ENV}`], ...override.Options },
    };
    const body = await request(message, messageId);
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'Denied' } });
    expect(body.Error?.Message).toContain(phrase);
    expect((await h.broker.take(h.deadLetterQueue)).properties.headers?.['x-dispatch-error-code']).toBe('Denied');
    const label = [`docker-dispatch.message-id=${messageId}`];
    expect((await countCreates(h.engines.a, since, label)) + (await countCreates(h.engines.b, since, label))).toBe(0);
  });

  it('refuses create and pull of an image no rule allows, with Denied, before any engine acts', async () => {
    const messageId = unique('denied-create');
    const since = Math.floor(Date.now() / 1000);
    const created = await request({ Dockercmd: 'create', Image: 'busybox', Cmd: ['true'] }, messageId);
    expect(created).toMatchObject({ Status: 'error', Error: { Code: 'Denied' } });
    const label = [`docker-dispatch.message-id=${messageId}`];
    expect((await countCreates(h.engines.a, since, label)) + (await countCreates(h.engines.b, since, label))).toBe(0);
    const pulled = await request({ Dockercmd: 'pull', Image: 'busybox:latest' });
    expect(pulled).toMatchObject({ Status: 'error', Error: { Code: 'Denied' } });
    expect(pulled).not.toHaveProperty('Pulled');
    await h.broker.take(h.deadLetterQueue);
    await h.broker.take(h.deadLetterQueue);
  });

  it.each([
    ['Privileged', { Privileged: true }],
    ['HostConfig', { HostConfig: { Privileged: true } }],
    ['Binds', { Binds: ['/:/host'] }],
    ['CapAdd', { CapAdd: ['SYS_ADMIN'] }],
    ['NetworkMode', { NetworkMode: 'host' }],
    ['Options.Privileged', { Options: { Privileged: true } }],
    ['Options.Binds', { Options: { Binds: ['/etc:/etc'] } }],
    ['Options.Devices', { Options: { Devices: ['/dev/sda'] } }],
    ['Options.PortBindings', { Options: { PortBindings: { '80/tcp': [{ HostPort: '80' }] } } }],
    ['Options.NetworkMode', { Options: { NetworkMode: 'host' } }],
    ['Options.PidMode', { Options: { PidMode: 'host' } }],
    ['Options.CapAdd', { Options: { CapAdd: ['NET_ADMIN'] } }],
  ])('refuses a message asking for %s as InvalidMessage', async (field, extra) => {
    const body = await request({ Dockercmd: 'run', Image: h.image, ...extra });
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'InvalidMessage' } });
    expect(body.Error?.Message).toContain(`${field} is not a known field`);
    await h.broker.take(h.deadLetterQueue);
  });

  it('create takes the limits a message asks for within the maxima, and refuses one above them creating nothing', async () => {
    const name = unique('create-limits');
    const body = await request({
      Dockercmd: 'create',
      Image: h.image,
      Cmd: ['true'],
      Options: { Name: name, Memory: '32m', Cpus: 0.25, PidsLimit: 16 },
    });
    expect(body).toMatchObject({ Status: 'ok', Container: { Name: name } });
    expect((await inspect(body.Host, name)).HostConfig).toMatchObject({
      Memory: 32 * 1024 ** 2,
      MemorySwap: 32 * 1024 ** 2,
      NanoCpus: 2.5e8,
      PidsLimit: 16,
    });
    const since = Math.floor(Date.now() / 1000) - 1;
    const tag = unique('create-too-big');
    const label = `test=${tag}`;
    const denied = await request({
      Dockercmd: 'create',
      Image: h.image,
      Options: { Memory: '1g', Labels: { test: tag } },
    });
    expect(denied).toMatchObject({
      Status: 'error',
      Error: { Code: 'Denied', Message: "Options.Memory 1g is above this worker's --max-memory 256m" },
    });
    await h.broker.take(h.deadLetterQueue);
    expect((await countCreates(h.engines.a, since, [label])) + (await countCreates(h.engines.b, since, [label]))).toBe(
      0,
    );
  });

  it('inspect replies echo the Env keys of a container, never their values', async () => {
    const name = unique('env-inspect');
    const run = await request({
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['true'],
      Options: { Name: name, Env: [`TOKEN=${SECRET_ENV}`, 'EMPTY='] },
    });
    expect(run.Status).toBe('ok');
    const body = await request({ Dockercmd: 'inspect', Container: name });
    expect(body).toMatchObject({ Status: 'ok', Container: { Name: name } });
    const env = (body.Inspect as { Config: { Env: string[] } }).Config.Env;
    expect(env).toEqual(expect.arrayContaining(['TOKEN=***', 'EMPTY=***']));
    expect(env.every((entry) => entry.endsWith('=***'))).toBe(true);
    // The engine itself still has the value: only the reply hides it.
    expect((await inspect(run.Host, name)).Config.Env).toContain(`TOKEN=${SECRET_ENV}`);
  });

  it('keeps Env values and the AMQP password out of logs, stdout and replies', () => {
    const { amqpUrl } = services();
    const password = decodeURIComponent(new URL(amqpUrl).password);
    const everything = [h.worker.stdout, h.worker.stderr, JSON.stringify(replies)].join('\n');
    expect(everything).not.toContain(SECRET_ENV);
    expect(everything).not.toContain(`:${password}@`);
    expect(replies.length).toBeGreaterThan(10);
  });
});

describe('policy at start-up', () => {
  it('refuses --network host: the worker never shares the host namespaces', async () => {
    const { amqpUrl, hostA } = services();
    const worker = WorkerProcess.spawn(['--network', 'host', hostA, amqpUrl]);
    expect(await worker.exited).toBe(1);
    expect(worker.stderr).toContain('--network host would share a namespace with the host');
  });

  it('with a maximum and no default, a message that asks for no limit gets the maximum, not an unlimited container', async () => {
    const { amqpUrl, hostA, image } = services();
    const queue = unique('dd-maxonly');
    const worker = await WorkerProcess.start([
      '-q',
      queue,
      '--network',
      'none',
      '--max-memory',
      '128m',
      '--max-cpus',
      '0.5',
      '--max-pids-limit',
      '32',
      `a=${hostA}`,
      amqpUrl,
    ]);
    const broker = await TestBroker.connect(amqpUrl);
    const name = unique('max-only');
    try {
      const { body } = await broker.request(queue, {
        Dockercmd: 'run',
        Image: image,
        Cmd: ['true'],
        Options: { Name: name },
      });
      expect(body).toMatchObject({ Status: 'ok', Host: 'a' });
      const info = await dockerClient(hostA).getContainer(name).inspect();
      expect(info.HostConfig).toMatchObject({
        Memory: 128 * 1024 ** 2,
        MemorySwap: 128 * 1024 ** 2,
        NanoCpus: 5e8,
        PidsLimit: 32,
      });
    } finally {
      await worker.stop();
      await removeContainers([dockerClient(hostA)], queue, [name]);
      await broker.deleteWorkerQueues(queue);
      await broker.close();
    }
  });

  it('refuses a default above its maximum', async () => {
    const { amqpUrl, hostA } = services();
    const worker = WorkerProcess.spawn(['--default-memory', '1g', '--max-memory', '512m', hostA, amqpUrl]);
    expect(await worker.exited).toBe(1);
    expect(worker.stderr).toContain('--default-memory is above --max-memory');
  });

  it('warns at start-up that every image is allowed when there is no --allow-image rule', async () => {
    const { amqpUrl, hostA } = services();
    const queue = unique('dd-noallow');
    const worker = await WorkerProcess.start(['-q', queue, hostA, amqpUrl]);
    await worker.stop();
    expect(worker.stderr).toContain('no --allow-image rule: every image is allowed');
    const broker = await TestBroker.connect(amqpUrl);
    await broker.deleteWorkerQueues(queue);
    await broker.close();
  });
});

describe('amqps://', () => {
  const amqpsUrl = () => {
    const url = process.env.AMQPS_URL ?? 'amqps://guest:guest@localhost:5671';
    return url;
  };

  it('connects with the CA given by --amqp-ca and carries out commands', async () => {
    const { dir } = tlsEngine();
    const { amqpUrl, hostA, image } = services();
    const queue = unique('dd-amqps');
    const worker = await WorkerProcess.start([
      '-q',
      queue,
      '--network',
      'none',
      '--amqp-ca',
      `${dir}/ca.pem`,
      '--amqp-cert',
      `${dir}/cert.pem`,
      '--amqp-key',
      `${dir}/key.pem`,
      `a=${hostA}`,
      amqpsUrl(),
    ]);
    const broker = await TestBroker.connect(amqpUrl);
    try {
      const { body } = await broker.request(queue, {
        Dockercmd: 'run',
        Image: image,
        Cmd: ['echo', 'over tls'],
        Options: { Attach: ['STDOUT'], Remove: true },
      });
      expect(body).toMatchObject({ Status: 'ok', Stdout: 'over tls\n' });
    } finally {
      await worker.stop();
      await broker.deleteWorkerQueues(queue);
      await broker.close();
    }
  });

  it('refuses a broker whose certificate it cannot verify', async () => {
    const { hostA } = services();
    const worker = WorkerProcess.spawn([`a=${hostA}`, amqpsUrl()]);
    expect(await worker.exited).toBe(1);
    expect(worker.stderr).toMatch(/cannot connect to RabbitMQ at amqps:\/\/.*(certificate|self.signed)/i);
  });
});
