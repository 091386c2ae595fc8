import { rmSync } from 'node:fs';
import net from 'node:net';

/**
 * Request lines in a client's byte stream. n.b. on a kept-alive connection a request may follow a JSON body with no
 * line break between them; bodies are JSON, and attach streams carry no stdin here, so nothing else matches.
 */
const REQUEST_LINE = /(GET|HEAD|POST|PUT|DELETE) (\/\S*) HTTP\/1\.[01]\r\n/g;

/** `/v1.41/containers/3f2a…/start?x=1` → `POST /containers/{id}/start`: one key per kind of Engine API call. */
export function callKey(method: string, path: string): string {
  const bare = path.split('?')[0]!.replace(/^\/v\d+\.\d+/, '');
  const parts = bare.split('/');
  if (parts[1] === 'containers' && parts[2] && !['json', 'create', 'prune'].includes(parts[2])) parts[2] = '{id}';
  return `${method} ${parts.join('/')}`;
}

/**
 * A proxy in front of one engine that counts the Engine API calls going through it, by kind: on loopback TCP, or on a
 * unix socket (`listenPath`) so the worker sees an engine on a socket, as /var/run/docker.sock is. For call counts in
 * the tests and the bench: it adds a hop, so nothing timed goes through it.
 */
export class CountingProxy {
  readonly counts = new Map<string, number>();
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;
  address = '';

  /** Without a target the proxy is a black hole: it takes connections and counts requests, and never answers. */
  private constructor(target: net.NetConnectOpts | undefined) {
    this.server = net.createServer((client) =>
      target ? this.pipe(client, net.connect(target)) : this.swallow(client),
    );
  }

  /**
   * An engine that drops every packet, as far as its clients can tell: connections are taken, requests counted, and
   * nothing ever answered (an engine behind a firewall that drops, a host gone from the network).
   */
  static async blackHole({ listenPath }: { listenPath: string }): Promise<CountingProxy> {
    const proxy = new CountingProxy(undefined);
    await new Promise<void>((resolve) => proxy.server.listen(listenPath, resolve));
    proxy.address = `unix://${listenPath}`;
    proxy.listenPath = listenPath;
    return proxy;
  }

  /** `engineAddress`: `unix:///path` or `tcp://host:port`, as the services scripts print them. */
  static async start(engineAddress: string, { listenPath }: { listenPath?: string } = {}): Promise<CountingProxy> {
    const target: net.NetConnectOpts = engineAddress.startsWith('unix://')
      ? { path: engineAddress.slice('unix://'.length) }
      : (() => {
          const url = new URL(engineAddress.replace(/^tcp:/, 'http:'));
          return { host: url.hostname, port: Number(url.port) };
        })();
    const proxy = new CountingProxy(target);
    if (listenPath) {
      await new Promise<void>((resolve) => proxy.server.listen(listenPath, resolve));
      proxy.address = `unix://${listenPath}`;
      proxy.listenPath = listenPath;
    } else {
      await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
      proxy.address = `tcp://127.0.0.1:${(proxy.server.address() as net.AddressInfo).port}`;
    }
    return proxy;
  }

  private listenPath: string | undefined;

  reset(): void {
    this.counts.clear();
  }

  /** Every call counted since the last reset but those of the kinds given (health pings, say). */
  callsBut(...kinds: string[]): [string, number][] {
    return [...this.counts].filter(([key]) => !kinds.includes(key));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.listenPath) rmSync(this.listenPath, { force: true });
  }

  private pipe(client: net.Socket, upstream: net.Socket): void {
    this.sockets.add(client).add(upstream);
    this.count(client);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }

  private swallow(client: net.Socket): void {
    this.sockets.add(client);
    this.count(client);
    const close = () => {
      client.destroy();
      this.sockets.delete(client);
    };
    client.on('error', close).on('close', close);
  }

  private count(client: net.Socket): void {
    let leftover = '';
    client.on('data', (chunk: Buffer) => {
      const text = leftover + chunk.toString('latin1');
      let end = 0;
      for (const match of text.matchAll(REQUEST_LINE)) {
        const key = callKey(match[1]!, match[2]!);
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
        end = match.index + match[0].length;
      }
      // Keep enough to catch a request line split across chunks, never one already counted.
      leftover = text.slice(Math.max(end, text.length - 512));
    });
  }
}
