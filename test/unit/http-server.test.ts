import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpListenError, startHttpServer, type HttpServer, type HttpSources } from '../../src/http/server.js';
import type { EngineStatus } from '../../src/observe/engine-status.js';
import { readiness } from '../../src/observe/readiness.js';
import type { WorkerStatus } from '../../src/observe/worker-status.js';

const worker: WorkerStatus = { state: 'running', amqpConnected: true, amqpSince: 0, amqpDisconnects: 0 };

function sources(engines: EngineStatus[]): HttpSources {
  return {
    metrics: {
      metrics: () => Promise.resolve('docker_dispatch_ready 1\n'),
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
    },
    readiness: () => readiness(worker, engines),
    status: () => ({ fake: true }) as never,
    log: pino({ level: 'silent' }),
  };
}

describe('the HTTP endpoint', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers /readyz 503 with the reason per engine when no engine is healthy', async () => {
    server = await startHttpServer(
      sources([
        { id: 'a', healthy: false, synced: false, running: null, reason: 'connect ECONNREFUSED 127.0.0.1:2375' },
      ]),
      { host: '127.0.0.1', port: 0 },
    );
    const response = await fetch(`${server.url}readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      ready: false,
      reasons: ['no Docker engine is healthy'],
      worker: 'running',
      amqp: 'connected',
      engines: { a: 'unhealthy: connect ECONNREFUSED 127.0.0.1:2375' },
    });
  });

  it('answers /readyz 200 with one healthy engine, /healthz 200 regardless', async () => {
    server = await startHttpServer(sources([{ id: 'a', healthy: true, synced: true, running: 0 }]), {
      host: '127.0.0.1',
      port: 0,
    });
    expect((await fetch(`${server.url}readyz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}healthz`)).json()).toEqual({ alive: true });
  });

  it('serves the status page, its files, the status JSON and the metrics, with the right types', async () => {
    server = await startHttpServer(sources([]), { host: '127.0.0.1', port: 0 });
    const page = await fetch(server.url);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script src="status.js"');
    expect((await fetch(`${server.url}status.js`)).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await fetch(`${server.url}status.css`)).headers.get('content-type')).toMatch(/^text\/css/);
    expect(await (await fetch(`${server.url}api/status`)).json()).toEqual({ fake: true });
    const metrics = await fetch(`${server.url}metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toBe('docker_dispatch_ready 1\n');
  });

  it('refuses other methods and unknown paths', async () => {
    server = await startHttpServer(sources([]), { host: '127.0.0.1', port: 0 });
    expect((await fetch(`${server.url}metrics`, { method: 'POST' })).status).toBe(405);
    const missing = await fetch(`${server.url}nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('/metrics');
    expect((await fetch(`${server.url}../package.json`)).status).toBe(404);
  });

  it('fails with a clear error when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const failure = startHttpServer(sources([]), { host: '127.0.0.1', port });
      await expect(failure).rejects.toThrow(HttpListenError);
      await expect(failure).rejects.toThrow(
        `cannot serve HTTP on 127.0.0.1:${port}: the port is in use: choose another --http-port`,
      );
    } finally {
      blocker.close();
    }
  });
});
