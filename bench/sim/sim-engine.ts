import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { callKey } from '../../test/support/counting-proxy.js';
import { eventMatches, listMatches, parseFilters, type Filters } from './filters.js';

/** What a simulated container is, as far as the worker can tell. */
interface SimContainer {
  id: string;
  name: string;
  image: string;
  cmd: string[];
  labels: Record<string, string>;
  createdAt: Date;
  state: 'created' | 'running' | 'exited';
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  /** Attach streams (raw sockets, as Docker hijacks the connection) that get the output and end at the exit. */
  attached: Socket[];
  /** Waits (their responses' headers sent) answered at the exit. */
  waits: http.ServerResponse[];
}

export interface SimEngineOptions {
  /** The engine's name in the worker's pool. */
  name: string;
  /** Where it listens (a unix socket). */
  socketPath: string;
  /** Each call waits this long before the engine acts on it and answers (the engine's own work); also how long a container runs. */
  serviceMs: number;
}

const NOT_FOUND = 404;
const EVENT_LOG = 1000;
const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * A small stand-in for a Docker engine, for the bench's scale scenario only (never for tests that prove behaviour):
 * the part of the Engine API the worker uses (/_ping, /version, container list with label and status filters, the
 * event stream with since and filters, create, inspect, start, attach as a raw multiplexed stream, wait, stop, kill,
 * remove), each call answered after a fixed service time, and containers that print their `echo` arguments and exit
 * 0 after the same time. Counts every call by kind (`POST /containers/{id}/start`); calls it does not speak answer
 * 501 and are counted under `unsupported`.
 */
export class SimEngine {
  readonly counts = new Map<string, number>();
  private readonly containers = new Map<string, SimContainer>();
  private readonly events: { time: number; event: Record<string, unknown> }[] = [];
  private readonly subscribers = new Set<{ response: http.ServerResponse; filters: Filters }>();
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly options: SimEngineOptions,
    private readonly server: http.Server,
  ) {}

  static async start(options: SimEngineOptions): Promise<SimEngine> {
    rmSync(options.socketPath, { force: true });
    const server = http.createServer();
    // n.b. attach, wait and event streams last as long as they last.
    server.requestTimeout = 0;
    const engine = new SimEngine(options, server);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      engine.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) engine.json(res, 500, { message: (err as Error).message });
        else res.destroy();
      });
    });
    server.on('connection', (socket: Socket) => {
      engine.sockets.add(socket);
      socket.on('close', () => engine.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(options.socketPath, resolve));
    return engine;
  }

  get name(): string {
    return this.options.name;
  }

  get address(): string {
    return `unix://${this.options.socketPath}`;
  }

  /** Event streams open now. */
  get eventStreams(): number {
    return this.subscribers.size;
  }

  /** Calls by kind since the last reset. */
  snapshot(): Map<string, number> {
    return new Map(this.counts);
  }

  reset(): void {
    this.counts.clear();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.options.socketPath, { force: true });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    const method = req.method ?? 'GET';
    const key = callKey(method, path);
    this.count(key);
    const body = await readBody(req);
    if (key === 'GET /events') return this.follow(url, res);
    await sleep(this.options.serviceMs);
    if (key === 'GET /_ping' || key === 'HEAD /_ping') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Api-Version': '1.41' });
      return void res.end(method === 'HEAD' ? undefined : 'OK');
    }
    if (key === 'GET /version') return this.json(res, 200, VERSION);
    if (key === 'GET /containers/json') return this.list(url, res);
    if (key === 'POST /containers/create') return this.create(url, body, res);
    const [, , reference, action] = path.split('/');
    if (reference === undefined) return this.unsupported(key, res);
    const container = this.find(decodeURIComponent(reference));
    if (!container) return this.json(res, NOT_FOUND, { message: `No such container: ${reference}` });
    if (key === 'GET /containers/{id}/json') return this.json(res, 200, inspect(container));
    if (key === 'POST /containers/{id}/start') return this.startContainer(container, res);
    if (key === 'POST /containers/{id}/attach') return this.attach(container, req, res);
    if (key === 'POST /containers/{id}/wait') return this.wait(container, url, res);
    if (key === 'POST /containers/{id}/stop' || key === 'POST /containers/{id}/kill') {
      if (container.state !== 'running') return this.empty(res, 304);
      this.exit(container, action === 'kill' ? 137 : 143);
      return this.empty(res, 204);
    }
    if (key === 'DELETE /containers/{id}') return this.remove(container, url, res);
    return this.unsupported(key, res);
  }

  private count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  private unsupported(key: string, res: http.ServerResponse): void {
    this.count('unsupported');
    this.json(res, 501, { message: `the simulated engine does not speak ${key}` });
  }

  private list(url: URL, res: http.ServerResponse): void {
    const all = ['1', 'true'].includes(url.searchParams.get('all') ?? '');
    const filters = parseFilters(url.searchParams.get('filters'));
    const listed = [...this.containers.values()]
      .filter((c) => (all || c.state === 'running') && listMatches(filters, c))
      .sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime())
      .map((c) => ({
        Id: c.id,
        Names: [`/${c.name}`],
        Image: c.image,
        ImageID: `sha256:${'0'.repeat(64)}`,
        Command: c.cmd.join(' '),
        Created: Math.floor(c.createdAt.getTime() / 1000),
        Ports: [],
        Labels: c.labels,
        State: c.state,
        Status:
          c.state === 'running' ? 'Up Less than a second' : c.state === 'exited' ? `Exited (${c.exitCode})` : 'Created',
        HostConfig: { NetworkMode: 'none' },
        NetworkSettings: { Networks: {} },
        Mounts: [],
      }));
    this.json(res, 200, listed);
  }

  private create(url: URL, body: string, res: http.ServerResponse): void {
    const spec = JSON.parse(body || '{}') as { Image?: string; Cmd?: string[]; Labels?: Record<string, string> };
    if (!spec.Image) return this.json(res, 400, { message: 'config.Image is required' });
    const id = randomBytes(32).toString('hex');
    const name = url.searchParams.get('name') || `sim_${id.slice(0, 12)}`;
    if ([...this.containers.values()].some((c) => c.name === name)) {
      return this.json(res, 409, { message: `Conflict. The container name "/${name}" is already in use` });
    }
    const container: SimContainer = {
      id,
      name,
      image: spec.Image,
      cmd: spec.Cmd ?? [],
      labels: spec.Labels ?? {},
      createdAt: new Date(),
      state: 'created',
      exitCode: 0,
      startedAt: ZERO_TIME,
      finishedAt: ZERO_TIME,
      attached: [],
      waits: [],
    };
    this.containers.set(id, container);
    this.emit(container, 'create');
    this.json(res, 201, { Id: id, Warnings: [] });
  }

  private startContainer(container: SimContainer, res: http.ServerResponse): void {
    if (container.state === 'running') return this.empty(res, 304);
    container.state = 'running';
    container.startedAt = new Date().toISOString();
    this.emit(container, 'start');
    this.empty(res, 204);
    const output = container.cmd[0] === 'echo' ? `${container.cmd.slice(1).join(' ')}\n` : '';
    setTimeout(() => {
      if (container.state !== 'running') return;
      if (output !== '') for (const socket of container.attached) socket.write(frame(1, output));
      this.exit(container, 0);
    }, this.options.serviceMs);
  }

  /** Docker hijacks the connection: a bare status line and headers, then the multiplexed frames, then it closes. */
  private attach(container: SimContainer, req: http.IncomingMessage, res: http.ServerResponse): void {
    const socket = req.socket;
    res.detachSocket(socket);
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n');
    if (container.state === 'exited') return void socket.end();
    container.attached.push(socket);
  }

  private wait(container: SimContainer, url: URL, res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const condition = url.searchParams.get('condition') ?? 'not-running';
    if (condition !== 'next-exit' && container.state !== 'running') {
      return void res.end(`${JSON.stringify({ Error: null, StatusCode: container.exitCode })}\n`);
    }
    container.waits.push(res);
  }

  private remove(container: SimContainer, url: URL, res: http.ServerResponse): void {
    const force = ['1', 'true'].includes(url.searchParams.get('force') ?? '');
    if (container.state === 'running' && !force) {
      return this.json(res, 409, { message: `cannot remove container "/${container.name}": container is running` });
    }
    if (container.state === 'running') this.exit(container, 137);
    this.containers.delete(container.id);
    this.emit(container, 'destroy');
    this.empty(res, 204);
  }

  private exit(container: SimContainer, code: number): void {
    container.state = 'exited';
    container.exitCode = code;
    container.finishedAt = new Date().toISOString();
    this.emit(container, 'die', { exitCode: String(code) });
    for (const socket of container.attached.splice(0)) socket.end();
    const answer = `${JSON.stringify({ Error: null, StatusCode: code })}\n`;
    for (const res of container.waits.splice(0)) res.end(answer);
  }

  /** `GET /events`: the events since `since` that match, then every new one, as JSON lines. */
  private follow(url: URL, res: http.ServerResponse): void {
    const filters = parseFilters(url.searchParams.get('filters'));
    const since = Number(url.searchParams.get('since') ?? Number.NaN);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    if (Number.isFinite(since)) {
      for (const { time, event } of this.events) if (time >= since && eventMatches(filters, event)) write(res, event);
    }
    const subscriber = { response: res, filters };
    this.subscribers.add(subscriber);
    res.on('close', () => this.subscribers.delete(subscriber));
  }

  private emit(container: SimContainer, action: string, extra: Record<string, string> = {}): void {
    const now = Date.now();
    const event = {
      status: action,
      id: container.id,
      from: container.image,
      Type: 'container',
      Action: action,
      Actor: {
        ID: container.id,
        Attributes: { ...container.labels, image: container.image, name: container.name, ...extra },
      },
      scope: 'local',
      time: Math.floor(now / 1000),
      timeNano: now * 1_000_000,
    };
    this.events.push({ time: event.time, event });
    if (this.events.length > EVENT_LOG) this.events.splice(0, this.events.length - EVENT_LOG);
    for (const { response, filters } of this.subscribers) if (eventMatches(filters, event)) write(response, event);
  }

  private find(reference: string): SimContainer | undefined {
    const named = [...this.containers.values()].find((c) => c.name === reference);
    if (named) return named;
    const byId = this.containers.get(reference);
    if (byId) return byId;
    const prefixed = [...this.containers.values()].filter((c) => c.id.startsWith(reference));
    return prefixed.length === 1 ? prefixed[0] : undefined;
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private empty(res: http.ServerResponse, status: number): void {
    res.writeHead(status);
    res.end();
  }
}

const VERSION = {
  Platform: { Name: 'docker-dispatch bench: simulated engine' },
  Components: [{ Name: 'Engine', Version: '20.10.24-sim' }],
  Version: '20.10.24-sim',
  ApiVersion: '1.41',
  MinAPIVersion: '1.12',
  Os: 'linux',
  Arch: 'amd64',
};

function inspect(c: SimContainer): object {
  return {
    Id: c.id,
    Created: c.createdAt.toISOString(),
    Path: c.cmd[0] ?? '',
    Args: c.cmd.slice(1),
    State: {
      Status: c.state,
      Running: c.state === 'running',
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: c.state === 'running' ? 4242 : 0,
      ExitCode: c.exitCode,
      Error: '',
      StartedAt: c.startedAt,
      FinishedAt: c.finishedAt,
    },
    Image: `sha256:${'0'.repeat(64)}`,
    Name: `/${c.name}`,
    RestartCount: 0,
    HostConfig: { NetworkMode: 'none' },
    Config: { Image: c.image, Cmd: c.cmd, Labels: c.labels, Tty: false, OpenStdin: false },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}

/** One frame of Docker's multiplexed stream: stream type (1 stdout, 2 stderr), three zero bytes, length, payload. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function write(res: http.ServerResponse, event: object): void {
  res.write(`${JSON.stringify(event)}\n`);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
