import { createServer as createHttpServer, type Server } from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CountingProxy } from '../support/counting-proxy.js';
import { startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';
import { scratchPath } from '../support/scratch.js';

/** A TCP listener that counts connections: a worker must never be made to call it. */
async function tripwire(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const COMMANDS_WITH_CONTAINER = ['stop', 'remove', 'start', 'restart', 'kill', 'wait', 'inspect', 'logs'];
const HOSTILE_REFERENCES = ['../../info?x=', '%2e%2e%2f%2e%2e%2finfo', 'web//json', 'my web'];
/** Calls a worker makes whatever messages come: health pings (and, once started, nothing else for these messages). */
const BACKGROUND = ['GET /_ping', 'HEAD /_ping'];

describe('hostile container references', () => {
  let h: Harness;
  let proxy: CountingProxy;
  let wire: Awaited<ReturnType<typeof tripwire>>;
  beforeAll(async () => {
    const { hostA } = services();
    // Engine "a" is a unix socket, as /var/run/docker.sock is: the case where a path could become a host.
    proxy = await CountingProxy.start(hostA, { listenPath: scratchPath(`${unique('dd-proxy')}.sock`) });
    wire = await tripwire();
    h = await startHarness('dd-hostile', ['--max-retries', '3', '--retry-delay', '0.2'], `a=${proxy.address}`);
  });
  afterAll(async () => {
    await h?.cleanup();
    await proxy?.close();
    await wire?.close();
  });

  it.each(['stop', 'inspect', 'logs'])(
    '%s of ../../127.0.0.1:PORT/x: answered InvalidMessage and acked; the listener on PORT gets no connection; the worker stays up',
    async (command) => {
      const reference = `../../127.0.0.1:${wire.port}/x`;
      const { body } = await h.broker.request(h.queue, { Dockercmd: command, Container: reference });
      expect(body).toMatchObject({ Status: 'error', Error: { Code: 'InvalidMessage' } });
      expect(body.Error?.Message).toContain(`Container "${reference}" is not a container name`);
      await h.broker.take(h.deadLetterQueue);
      await sleep(200);
      expect(wire.connections()).toBe(0);
      expect(h.worker.child.exitCode).toBeNull();
    },
  );

  for (const command of COMMANDS_WITH_CONTAINER) {
    const references = HOSTILE_REFERENCES.map((r) => JSON.stringify(r)).join(', ');
    it(`${command} with ${references}: InvalidMessage naming Container at once, dead-lettered, no call reaches the engine`, async () => {
      proxy.reset();
      for (const reference of HOSTILE_REFERENCES) {
        const { body } = await h.broker.request(h.queue, { Dockercmd: command, Container: reference });
        expect(body).toMatchObject({ Status: 'error', Error: { Code: 'InvalidMessage' } });
        expect(body.Error?.Message).toContain(`Container ${JSON.stringify(reference)} is not a container name`);
        const dead = await h.broker.take(h.deadLetterQueue);
        expect(dead.properties.headers?.['x-dispatch-error-code']).toBe('InvalidMessage');
        // Never through the retry queue: no attempt header on the dead-lettered copy.
        expect(dead.properties.headers?.['x-dispatch-attempt']).toBeUndefined();
      }
      expect(proxy.callsBut(...BACKGROUND)).toEqual([]);
    });
  }

  it('left nothing on the command queue and nothing retried', async () => {
    expect(await h.broker.depth(h.queue)).toBe(0);
    expect(await h.broker.depth(`${h.queue}.retry`)).toBe(0);
    expect(h.worker.logs().some((l) => String(l.msg).startsWith('transient failure'))).toBe(false);
  });

  it('refuses an image reference outside the grammar before any engine is asked', async () => {
    proxy.reset();
    for (const image of ['busybox:', '../../info', 'BusyBox', 'busybox:tag with space']) {
      const { body } = await h.broker.request(h.queue, { Dockercmd: 'run', Image: image });
      expect(body).toMatchObject({ Status: 'error', Error: { Code: 'InvalidMessage' } });
      expect(body.Error?.Message).toContain(`Image ${JSON.stringify(image)} is not an image reference`);
      await h.broker.take(h.deadLetterQueue);
    }
    expect(proxy.callsBut(...BACKGROUND)).toEqual([]);
  });

  it('sent only replies that validate against reply.schema.json', () => {
    expect(h.broker.invalidReplies).toEqual([]);
  });
});

describe('an engine that fails in the middle of a request', () => {
  let h: Harness | undefined;
  let fake: Server | undefined;
  afterAll(async () => {
    await h?.cleanup();
    await new Promise<void>((resolve) => (fake ? fake.close(() => resolve()) : resolve()));
  });

  it('a half-sent answer, a closed socket, a reset connection: error replies; the worker answers the next message', async () => {
    const { hostA } = services();
    // Answers what a worker asks at start-up; cuts every other request: half an answer, no answer, or a TCP reset.
    fake = createHttpServer((req, res) => {
      if (req.url?.endsWith('/_ping')) return res.end('OK');
      if (req.url?.endsWith('/version')) return res.end('{"Version":"fake","ApiVersion":"1.41"}');
      if (req.url?.includes('/containers/json')) return res.end('[]');
      if (req.url?.includes('/events'))
        return void res.writeHead(200, { 'Content-Type': 'application/json' }).flushHeaders();
      if (req.url?.includes('/closed/')) return void req.socket.destroy();
      if (req.url?.includes('/reset/')) return void req.socket.resetAndDestroy();
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
      res.write('{"Id":"');
      setTimeout(() => req.socket.destroy(), 20);
    });
    await new Promise<void>((resolve) => fake!.listen(0, '127.0.0.1', resolve));
    const port = (fake.address() as net.AddressInfo).port;
    h = await startHarness(
      'dd-breaking',
      ['--max-retries', '0', '--health-interval', '60'],
      `a=${hostA},broken=tcp://127.0.0.1:${port}`,
    );
    for (const container of ['half', 'closed', 'reset']) {
      const { body } = await h.broker.request(h.queue, { Dockercmd: 'inspect', Container: container });
      expect(body).toMatchObject({ Status: 'error', Error: { Code: 'DockerUnavailable' } });
      expect(body.Error?.Message).toContain('engine broken');
      await h.broker.take(h.deadLetterQueue);
    }
    expect(h.worker.child.exitCode).toBeNull();
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['echo', 'still here'],
      Options: { Host: 'a', Attach: ['STDOUT'], Remove: true },
    });
    expect(body).toMatchObject({ Status: 'ok', Stdout: 'still here\n' });
  });
});

describe('durations longer than Node keeps a timer', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('dd-durations');
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('a run with a 30-day Timeout that exits at once is answered ok', async () => {
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: ['true'],
      Options: { Timeout: 30 * 24 * 3600, Remove: true },
    });
    expect(body).toMatchObject({ Status: 'ok', ExitCode: 0 });
  });

  it('a run with a 2-second Timeout still times out', async () => {
    const cmd = ['sh', '-c', 'trap "exit 143" TERM; sleep 60 & wait'];
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: h.image,
      Cmd: cmd,
      Options: { Timeout: 2, Remove: true },
    });
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'Timeout' } });
    await h.broker.take(h.deadLetterQueue);
  });

  it('a flag over the longest timer is refused at start with one clear line', async () => {
    const { WorkerProcess } = await import('../support/worker-process.js');
    const { hostA, amqpUrl } = services();
    const worker = WorkerProcess.spawn(['--retry-delay', '2592000', hostA, amqpUrl]);
    expect(await worker.exited).not.toBe(0);
    expect(worker.stderr).toContain('--retry-delay');
    expect(worker.stderr).toContain('expected at most 2147483 seconds');
  });
});
