import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Readiness } from '../observe/readiness.js';
import type { StatusDocument } from '../observe/status-document.js';
import { loadStaticFiles } from './static-files.js';

/** What the endpoints serve; each is read at request time. */
export interface HttpSources {
  metrics: { metrics(): Promise<string>; contentType: string };
  status(): StatusDocument;
  readiness(): Readiness;
  log: Logger;
}

export interface HttpServer {
  /** `http://host:port/`, with the port actually bound (useful with port 0). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Thrown when the server cannot listen (port in use, address not on this machine, no permission). */
export class HttpListenError extends Error {
  override readonly name = 'HttpListenError';
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
};

/**
 * The worker's HTTP endpoint: GET /metrics (Prometheus), /healthz (alive), /readyz (consuming with a healthy
 * engine, else 503 and why), / (the status page) and /api/status (the JSON it polls). Read-only; no authentication,
 * so it listens on 127.0.0.1 unless told otherwise.
 */
export async function startHttpServer(
  sources: HttpSources,
  listen: { host: string; port: number },
): Promise<HttpServer> {
  const files = loadStaticFiles();
  const server = createServer((request, response) => {
    route(request, response, sources, files).catch((err: unknown) => {
      sources.log.error({ err, path: request.url }, 'HTTP endpoint failed (a bug): answered 500; the worker goes on');
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    });
  });
  // n.b. keep-alive sockets would hold close() open until they time out.
  server.keepAliveTimeout = 5000;
  await listenOn(server, listen);
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listenOn(server: Server, { host, port }: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'the port is in use: choose another --http-port'
          : err.code === 'EADDRNOTAVAIL'
            ? 'that address is not on this machine: check --http-host'
            : err.code === 'EACCES'
              ? 'not allowed (ports below 1024 need privileges): choose a port above 1024'
              : err.message;
      reject(new HttpListenError(`cannot serve HTTP on ${host}:${port}: ${why}`, { cause: err }));
    });
    server.listen(port, host, () => resolve());
  });
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  sources: HttpSources,
  files: ReadonlyMap<string, { body: Buffer; contentType: string }>,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return send(response, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n');
  }
  switch (path) {
    case '/metrics':
      return send(response, 200, sources.metrics.contentType, await sources.metrics.metrics());
    case '/healthz':
      return sendJson(response, 200, { alive: true });
    case '/readyz': {
      const ready = sources.readiness();
      return sendJson(response, ready.ready ? 200 : 503, ready);
    }
    case '/api/status':
      return sendJson(response, 200, sources.status());
  }
  const file = files.get(path === '/index.html' ? '/' : path);
  if (file) return send(response, 200, file.contentType, file.body);
  return send(
    response,
    404,
    'text/plain; charset=utf-8',
    `no such page: ${path} (see /, /metrics, /healthz, /readyz, /api/status)\n`,
  );
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
}

function send(response: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': contentType,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
