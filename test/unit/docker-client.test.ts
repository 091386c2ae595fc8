import { execFile } from 'node:child_process';
import { getEventListeners } from 'node:events';
import http, { createServer } from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { inspect, promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { classifyDockerError } from '../../src/docker/classify.js';
import { createdNanos, DockerClient, parseRepositoryTag } from '../../src/docker/docker-client.js';
import { checkedInspect } from '../../src/docker/inspect-shape.js';
import { DispatchError } from '../../src/errors.js';
import { scratchPath } from '../support/scratch.js';

describe('parseRepositoryTag (the pull reference, as dockerode splits it)', () => {
  it.each([
    ['busybox', { repository: 'busybox' }],
    ['busybox:1.36', { repository: 'busybox', tag: '1.36' }],
    ['127.0.0.1:5000/team/app', { repository: '127.0.0.1:5000/team/app' }],
    ['127.0.0.1:5000/team/app:2', { repository: '127.0.0.1:5000/team/app', tag: '2' }],
    ['app@sha256:0123abcd', { repository: 'app', tag: 'sha256:0123abcd' }],
  ])('%s', (input, expected) => {
    expect(parseRepositoryTag(input)).toEqual(expected);
  });
});

describe('createdNanos (the engine creation time, to order containers created in the same second)', () => {
  it('reads nanoseconds, short fractions and none, and offsets', () => {
    expect(createdNanos('2026-12-02T17:36:06.123456789Z')).toBe(1796232966123456789n);
    expect(createdNanos('2026-12-02T17:36:06.1Z')).toBe(1796232966100000000n);
    expect(createdNanos('2026-12-02T17:36:06Z')).toBe(1796232966000000000n);
    expect(createdNanos('2026-12-02T18:36:06.5+01:00')).toBe(1796232966500000000n);
    expect(createdNanos('2026-12-02T17:36:06.000000002Z') > createdNanos('2026-12-02T17:36:06.000000001Z')).toBe(true);
  });
});

describe('DockerClient: a request never leaves the endpoint it names', () => {
  /** A fake engine on a unix socket that answers every request with a redirect to `location`. */
  async function redirectingEngine(location: string) {
    const socket = scratchPath(`dd-redirect-${process.pid}-${Date.now()}.sock`);
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(301, { Location: location, 'Content-Type': 'text/plain' });
      res.end('moved');
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    return {
      socket,
      paths,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  /** A TCP listener that only counts connections: nothing should ever reach it. */
  async function listener() {
    let connections = 0;
    const server = net.createServer((s) => {
      connections += 1;
      s.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as net.AddressInfo).port,
      connections: () => connections,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it("takes an engine's redirect as its answer (DockerError), never following it to another host", async () => {
    const probe = await listener();
    const engine = await redirectingEngine(`http://127.0.0.1:${probe.port}/probe`);
    try {
      const client = new DockerClient({ socketPath: engine.socket });
      const failure = await client
        .getContainer('web')
        .inspect()
        .catch((err: unknown) => err);
      expect((failure as { statusCode?: number }).statusCode).toBe(301);
      expect(classifyDockerError(failure, 'inspect', 'a')).toMatchObject({ code: 'DockerError' });
      expect(classifyDockerError(failure, 'inspect', 'a').message).toContain('redirect (301)');
      await sleep(200);
      expect(probe.connections()).toBe(0);
      expect(engine.paths).toEqual(['/containers/web/json']);
    } finally {
      await engine.close();
      await probe.close();
    }
  });

  it.each([
    '../../127.0.0.1:8999/probe',
    '../../info?x=',
    '%2e%2e%2finfo',
    'a b',
    '',
    '//evil.example/x',
    'web/../../info',
  ])('refuses the container reference %j before any request', (reference) => {
    const client = new DockerClient({ socketPath: '/nonexistent.sock' });
    expect(() => client.getContainer(reference)).toThrow(DispatchError);
    try {
      client.getContainer(reference);
    } catch (err) {
      expect((err as DispatchError).code).toBe('InvalidMessage');
    }
  });

  it.each([
    ['docker.io/library/busybox:1.36', 'docker.io%2Flibrary%2Fbusybox%3A1.36'],
    ['../../info?x=', '..%2F..%2Finfo%3Fx%3D'],
    ['app@sha256:abc', 'app%40sha256%3Aabc'],
  ])('puts the image %j in the path encoded whole (%s)', (name, encoded) => {
    const image = new DockerClient({ socketPath: '/nonexistent.sock' }).getImage(name) as unknown as { name: string };
    expect(image.name).toBe(encoded);
  });

  it('takes a name with a leading slash, as Docker prints names', () => {
    expect(new DockerClient({ socketPath: '/nonexistent.sock' }).getContainer('/web-1').id).toBe('web-1');
  });

  it.each(['/containers/../info', '/containers//json', '/images/a/../../info/json', '/containers/a b/json'])(
    'refuses to dial the path %j at all (the second guard)',
    async (path) => {
      const engine = await redirectingEngine('/');
      try {
        const client = new DockerClient({ socketPath: engine.socket });
        const failure = await new Promise<unknown>((resolve) =>
          client.modem.dial({ path, method: 'GET', statusCodes: { 200: true } }, (err) => resolve(err)),
        );
        expect(failure).toMatchObject({ code: 'InvalidMessage' });
        expect(engine.paths).toEqual([]);
      } finally {
        await engine.close();
      }
    },
  );
});

describe('checkedInspect', () => {
  it('passes a container document through', () => {
    const info = { Id: 'abc', Name: '/web', State: { Running: true }, Config: { Tty: false } };
    expect(checkedInspect(info, 'a')).toBe(info);
  });

  it.each([[{}], [null], [{ Id: 'x', Name: '/n', State: {} }], [{ ID: 'x', Containers: 3 }]])(
    'refuses %j with a DockerError naming what is missing',
    (info) => {
      expect(() => checkedInspect(info, 'a')).toThrow(
        /engine a answered an inspect without .*not a container document/,
      );
    },
  );
});

describe('DockerClient: an engine that stops in the middle of its answer', () => {
  it('is an ECONNRESET error at once, not a request that never settles', async () => {
    const socket = scratchPath(`dd-half-${process.pid}-${Date.now()}.sock`);
    const server = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
      res.write('{"Id":"');
      setTimeout(() => req.socket.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const started = Date.now();
      const failure = await new DockerClient({ socketPath: socket })
        .getContainer('web')
        .inspect({ abortSignal: AbortSignal.timeout(10_000) })
        .catch((err: unknown) => err);
      expect(failure).toMatchObject({ code: 'ECONNRESET' });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(classifyDockerError(failure, 'inspect', 'a').code).toBe('DockerUnavailable');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("DockerClient: a call's abort signal", () => {
  /** An engine that answers `/_ping` at once and holds every other request: its headers, or its body, never come. */
  async function holdingEngine(holdBody: boolean) {
    const socket = scratchPath(`dd-hold-${process.pid}-${Date.now()}-${holdBody}.sock`);
    const closed: string[] = [];
    const server = createServer((req, res) => {
      req.socket.on('close', () => closed.push(req.url ?? ''));
      if (req.url?.endsWith('/_ping')) return void res.end('OK');
      if (holdBody) {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
        res.write('{"Id":"');
      }
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    return { socket, closed, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it('reaches Node without the signal, with options whose dump (docker-modem inspects every request) is a word', async () => {
    const engine = await holdingEngine(false);
    const request = vi.spyOn(http, 'request');
    try {
      await new DockerClient({ socketPath: engine.socket }).ping({ abortSignal: new AbortController().signal });
      const options = request.mock.calls[0]![0] as http.RequestOptions;
      expect(options.signal).toBeUndefined();
      expect(inspect(options, { showHidden: true, depth: null })).toBe('[request options]');
    } finally {
      request.mockRestore();
      await engine.close();
    }
  });

  it.each([
    ['before the answer', false],
    ['in the middle of the answer', true],
  ])('ends the request %s with an AbortError carrying the reason, and closes its connection', async (_, holdBody) => {
    const engine = await holdingEngine(holdBody);
    try {
      const controller = new AbortController();
      const call = new DockerClient({ socketPath: engine.socket })
        .getContainer('web')
        .inspect({ abortSignal: controller.signal })
        .catch((err: unknown) => err);
      await sleep(100);
      const reason = new DOMException('no answer within 1 s', 'TimeoutError');
      controller.abort(reason);
      const failure = await call;
      expect(failure).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason });
      expect(classifyDockerError(failure, 'inspect', 'a').message).toBe(
        'engine a unreachable during inspect: ABORT_ERR',
      );
      await expect.poll(() => engine.closed).toContain('/containers/web/json');
    } finally {
      await engine.close();
    }
  });

  it('fails a call whose signal has aborted, without an answer, and leaves no listener on a signal', async () => {
    const engine = await holdingEngine(false);
    try {
      const client = new DockerClient({ socketPath: engine.socket });
      const reason = new Error('handed over');
      await expect(
        client.getContainer('web').inspect({ abortSignal: AbortSignal.abort(reason) }),
      ).rejects.toMatchObject({ name: 'AbortError', cause: reason });
      const kept = new AbortController();
      for (let i = 0; i < 3; i++) await client.ping({ abortSignal: kept.signal });
      expect(getEventListeners(kept.signal, 'abort')).toHaveLength(0);
    } finally {
      await engine.close();
    }
  });
});

describe('DockerClient: without ssh', () => {
  it('never loads ssh2 (docker-modem would, for any address), and refuses an ssh engine in words', async () => {
    const script = [
      "import { createRequire } from 'node:module';",
      "const { DockerClient } = await import('./src/docker/docker-client.ts');",
      'const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes("/node_modules/"));',
      "const ssh = new DockerClient({ protocol: 'ssh', host: '127.0.0.1', port: 22 });",
      'const refusal = await ssh.ping().catch((e) => e.message);',
      'const has = (part) => loaded.some((p) => p.includes(part));',
      "console.log(JSON.stringify({ modem: has('/docker-modem/'), ssh2: has('/ssh2/'), refusal }));",
    ].join('\n');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)) },
    );
    expect(JSON.parse(stdout)).toEqual({
      modem: true,
      ssh2: false,
      refusal: 'ssh:// engines are not supported: use unix://, tcp://, http:// or https://',
    });
  });
});
