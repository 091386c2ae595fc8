import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply } from '../../src/messages/types.js';
import { validFixtures } from '../support/fixtures.js';
import { startHarness, type Harness } from '../support/harness.js';
import { eventually } from '../support/http.js';

/** A seeded generator (mulberry32), so a failure names a seed that reproduces it. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}

type Random = ReturnType<typeof prng>;

const ODD_STRINGS = [
  '',
  ' ',
  '../../info?x=',
  '%2e%2e%2f',
  '//evil.example/x',
  'a'.repeat(10_000),
  '\u0000',
  '\ud800',
  '🐳🐇',
  'مرحبا',
  'e\u0301',
  '${PATH}',
  '$(id)',
  '`id`',
  '-rf',
  'null',
  'true',
  '1e308',
  '<script>',
  'web',
  '/web',
  'busybox:',
  'BusyBox',
  '__proto__',
  'x'.repeat(300),
];
const ODD_NUMBERS = [0, -0, -1, 1, 0.5, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, 5e-324, 31536001, 86401, 100, 101];

/** A value of any JSON shape, strange more often than not. */
function oddValue(r: Random, depth = 0): unknown {
  switch (r.int(depth > 2 ? 4 : 7)) {
    case 0:
      return r.pick(ODD_STRINGS);
    case 1:
      return r.pick(ODD_NUMBERS);
    case 2:
      return r.pick([true, false, null]);
    case 3:
      return r.pick(ODD_STRINGS).slice(0, 20) + r.int(1000);
    case 4:
      return Array.from({ length: r.int(4) }, () => oddValue(r, depth + 1));
    case 5:
      return Object.fromEntries(
        Array.from({ length: r.int(4) }, () => [
          r.pick(['Name', 'Time', 'Force', '__proto__', 'constructor', 'x', 'Options']),
          oddValue(r, depth + 1),
        ]),
      );
    default:
      return deepNest(r.pick([10, 1000, 3000]));
  }
}

function deepNest(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

/** A valid message with one field (top level or in Options) replaced, added or removed. */
function mutate(base: Record<string, unknown>, r: Random): Record<string, unknown> {
  const message = structuredClone(base);
  const options = (message.Options && typeof message.Options === 'object' ? message.Options : {}) as Record<
    string,
    unknown
  >;
  const inOptions = r.next() < 0.5 && Object.keys(options).length > 0;
  const target = inOptions ? options : message;
  const keys = Object.keys(target);
  const key =
    r.next() < 0.8 && keys.length > 0
      ? r.pick(keys)
      : r.pick(['Bogus', '__proto__', 'dockercmd', 'Container', 'Image', 'Timeout']);
  if (r.next() < 0.1) delete target[key];
  else target[key] = oddValue(r);
  if (inOptions) message.Options = options;
  return message;
}

const UNICODE = [
  '🐳',
  'مرحبا',
  'e\u0301',
  '\u2028',
  'ß',
  '漢字',
  '\u00a0',
  'tab\there',
  'new\nline',
  '"quoted"',
  '\\back',
];

/** A message valid against its schema, with odd values wherever the schema allows them. */
function validButOdd(r: Random, image: string): Record<string, unknown> {
  const text = () => r.pick(UNICODE) + r.pick(UNICODE);
  const name = () => `fz${r.int(1e9).toString(36)}${r.pick(['', '.x', '_y', '-z'])}`;
  switch (r.int(6)) {
    case 0:
    case 1:
      return {
        Dockercmd: 'run',
        Image: image,
        Cmd: ['echo', text(), text()],
        Options: {
          ...(r.next() < 0.5 ? { Name: name() } : {}),
          Attach: r.pick([['STDOUT'], ['STDERR'], ['STDIN', 'STDOUT', 'STDERR'], []]),
          Remove: r.next() < 0.8,
          Env: [`A=${text()}`, `B${r.int(9)}=`, `C=${'v'.repeat(r.int(2000))}`],
          Labels: { [text()]: text(), k: '' },
          WorkingDir: r.pick(['/', '/tmp', `/tmp/${text()}`]),
          ...(r.next() < 0.3 ? { Timeout: r.pick([0.001, 5, 31536000]) } : {}),
          ...(r.next() < 0.3 ? { Memory: r.pick(['64m', 67108864, '1.5g', '0.1k']) } : {}),
          ...(r.next() < 0.3 ? { Cpus: r.pick([0.01, 1, 1024]) } : {}),
          ...(r.next() < 0.3 ? { PidsLimit: r.pick([1, 64, 2 ** 31, 2 ** 53 - 1]) } : {}),
          ...(r.next() < 0.2 ? { Entrypoint: ['/bin/echo'] } : {}),
        },
        ...(r.next() < 0.1 ? { Instances: 1 + r.int(3) } : {}),
      };
    case 2:
      return {
        Dockercmd: r.pick(['stop', 'kill', 'remove', 'start', 'restart', 'inspect', 'logs', 'wait']),
        Container: r.pick([name(), `/${name()}`, 'fzabc', '0123456789abcdef01234567']),
      };
    case 3:
      return {
        Dockercmd: 'logs',
        Container: name(),
        Options: { Tail: r.pick([0, 2 ** 53 - 1]), Since: r.pick([0, 1e12, 2 ** 53]), Timestamps: true },
      };
    case 4:
      return { Dockercmd: 'list', Options: { All: r.next() < 0.5, Managed: true, Labels: { [text()]: text() } } };
    default:
      return { Dockercmd: 'stop', Container: name(), Options: { Time: r.pick([0, 86400]) } };
  }
}

/** The bodies of one fuzz run: mutated valid messages, random JSON, and bytes that are not JSON at all. */
function bodies(seed: number, count: number, image: string): Buffer[] {
  const r = prng(seed);
  const bases = [
    ...validFixtures()
      .map((f) => JSON.parse(f.content.toString()) as Record<string, unknown>)
      // n.b. a run's image is the test image, which the worker allows; anything else is Denied before any pull.
      .map((m) => ('Image' in m && m.Dockercmd !== 'pull' ? { ...m, Image: image } : m))
      // n.b. and no reference that could name another test's container (an id prefix like 3f4a could).
      .map((m) => ('Container' in m ? { ...m, Container: 'fz-web' } : m)),
    { Dockercmd: 'run', Image: image, Cmd: ['true'], Options: { Remove: true, Attach: ['STDOUT'] } },
    { Dockercmd: 'stop', Container: 'no-such-container', Options: { Time: 0 } },
    { Dockercmd: 'list', Options: { All: true } },
    { Dockercmd: 'hosts' },
  ];
  return Array.from({ length: count }, (_, i) => {
    const kind = r.next();
    if (kind < 0.3) return Buffer.from(JSON.stringify(validButOdd(r, image)));
    if (kind < 0.75) {
      // Keep runs short: a valid run only ever runs `true` or `echo`.
      const message = mutate(r.pick(bases), r);
      const cmd: unknown = message.Cmd;
      if (message.Dockercmd === 'run' && Array.isArray(cmd) && !['true', 'echo'].includes(String(cmd[0])))
        message.Cmd = ['echo', ...(cmd.slice(1) as unknown[])];
      if (message.Dockercmd === 'run' && typeof message.Instances === 'number' && message.Instances > 3)
        message.Instances = 101;
      return Buffer.from(JSON.stringify(message));
    }
    if (kind < 0.88) return Buffer.from(JSON.stringify(oddValue(r)) ?? 'null');
    // Deeper than JSON.stringify goes: 100,000 levels, inside a message or as the whole body.
    if (kind < 0.9)
      return Buffer.from(
        r.next() < 0.5
          ? `{"Dockercmd":"run","Image":"x","Cmd":${'['.repeat(100_000)}${']'.repeat(100_000)}}`
          : '['.repeat(100_000),
      );
    return Buffer.from(Array.from({ length: 1 + r.int(64) }, () => r.int(256)).concat(i % 256));
  });
}

describe('fuzz: a few hundred odd and hostile messages', () => {
  const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
  const COUNT = 300;
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('dd-fuzz', [
      '--max-retries',
      '0',
      '--prefetch',
      '16',
      '--allow-image',
      'docker-dispatch-test:*',
      '--max-message-bytes',
      '262144',
    ]);
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it(`seed ${SEED}: each message answered once and acked, the worker up, no reply with another's fields`, async () => {
    const replies = new Map<string, Reply[]>();
    const sent = bodies(SEED, COUNT, h.image).map((body) => ({ body, correlationId: randomUUID() }));
    // Replies come to a reply queue of the test's own, counted per correlation id.
    const listen = await h.broker.channel.assertQueue('', { exclusive: true, autoDelete: true });
    await h.broker.channel.consume(
      listen.queue,
      (msg) => {
        if (!msg) return;
        const id = String(msg.properties.correlationId);
        replies.set(id, [...(replies.get(id) ?? []), JSON.parse(msg.content.toString('utf8')) as Reply]);
      },
      { noAck: true },
    );
    for (const { body, correlationId } of sent)
      h.broker.publish(h.queue, body, { replyTo: listen.queue, correlationId });

    await eventually(
      'a reply to every message',
      () => Promise.resolve(sent.every((s) => replies.has(s.correlationId)) ? true : undefined),
      240_000,
    );
    await sleep(2000); // room for a second reply, which must not come
    expect(h.worker.child.exitCode).toBeNull();

    const errors: Reply[] = [];
    for (const { body, correlationId } of sent) {
      const got = replies.get(correlationId)!;
      expect(got, `replies to ${correlationId} (${body.toString('utf8').slice(0, 200)})`).toHaveLength(1);
      const reply = got[0]!;
      // Its own message's identity and command, never a neighbour's.
      expect(reply.MessageId).toBe(correlationId);
      let named: unknown;
      try {
        named = (JSON.parse(body.toString('utf8')) as { Dockercmd?: unknown })?.Dockercmd;
      } catch {
        named = undefined;
      }
      if (typeof named === 'string' && reply.Dockercmd !== undefined)
        expect(named.startsWith(reply.Dockercmd.replace(/…$/, ''))).toBe(true);
      if (reply.Status === 'error') errors.push(reply);
    }
    expect(h.broker.invalidReplies).toEqual([]);
    // Every error was dead-lettered (nothing is retried with --max-retries 0), and nothing is left unacked.
    await eventually(
      'every error reply dead-lettered',
      async () => ((await h.broker.depth(h.deadLetterQueue)) === errors.length ? true : undefined),
      10_000,
    );
    expect(await h.broker.depth(h.queue)).toBe(0);
    expect(await h.worker.stop()).toBe(0);
    expect(await h.broker.depth(h.queue)).toBe(0);
    const codes = errors.map((e) => e.Error!.Code);
    // What the fuzz found, for the record: the codes it met.
    console.info(
      `fuzz seed ${SEED}: ${COUNT} messages, ${COUNT - errors.length} ok, errors by code ` +
        `${JSON.stringify(Object.fromEntries([...new Set(codes)].map((c) => [c, codes.filter((x) => x === c).length])))}`,
    );
    // Codes a message may earn by itself; never DockerUnavailable, which is retried and counts against an engine's
    // health (a message asking for PidsLimit 2^31 made the engines answer 500 until the schema bounded it).
    const messageCaused = [
      'InvalidJson',
      'InvalidMessage',
      'Denied',
      'ContainerNotFound',
      'ImageNotFound',
      'DockerError',
      'Conflict',
      'NoMatchingHost',
      'Timeout',
    ];
    expect(
      errors.filter((e) => !messageCaused.includes(e.Error!.Code)).map((e) => `${e.Error!.Code}: ${e.Error!.Message}`),
    ).toEqual([]);
    // A bug shows as an "unexpected error": there must be none.
    expect(errors.filter((e) => e.Error!.Message.includes('unexpected error')).map((e) => e.Error!.Message)).toEqual(
      [],
    );
    expect(
      h.worker
        .logs()
        .filter((l) => String(l.msg).includes('a bug'))
        .map((l) => l.msg),
    ).toEqual([]);
  }, 300_000);
});
