/**
 * Summarises V8 CPU profiles (.cpuprofile, from `npm run bench -- --profile`): where the worker's CPU time goes, by
 * package or source file and by function, self time and total (inclusive) time. A text stand-in for a flame graph.
 *
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile> [more…] [--top 25] [--focus <function>] [--skip <s>]
 *
 * --focus keeps only the samples whose stack holds a function of that name (say `handle`, the worker's per-message
 * work), so start-up and idle time drop out. Much of a run's cost runs in callbacks (HTTP answers, events, the
 * broker's socket) whose stacks do not go through it: --skip leaves out the first seconds of each profile (start-up)
 * instead and keeps everything after. The summary opens with the busy time split into parts of the work (broker,
 * Engine API calls, events, logs, garbage collection, …), by what each sample's stack passes through.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package (node_modules/<name>), the project file (src/…, dist/…) or the runtime part a frame belongs to. */
export function owner(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  // n.b. the last such folder: a checkout may itself sit in a folder named bench (or src).
  const own = /.*\/(dist|src|bench)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(node_modules\/|dist\/|src\/)/, '$1');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

/**
 * Self and total milliseconds per key, from one or more profiles; only stacks through `focus` when given, and only
 * samples taken `skipMs` or more after a profile began (start-up left out).
 */
export function attribute(profiles: CpuProfile[], key: (node: ProfileNode) => string, focus?: string, skipMs = 0) {
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const inFocus = (id: number) => {
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        if (byId.get(cur)!.callFrame.functionName === focus) return true;
      }
      return false;
    };
    let elapsedMs = 0;
    profile.samples.forEach((id, i) => {
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      elapsedMs += ms;
      if (elapsedMs < skipMs) return;
      if (focus !== undefined && !inFocus(id)) return;
      all += ms;
      const leaf = byId.get(id)!;
      self.set(key(leaf), (self.get(key(leaf)) ?? 0) + ms);
      const seen = new Set<string>();
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const k = key(byId.get(cur)!);
        if (!seen.has(k)) total.set(k, (total.get(k) ?? 0) + ms);
        seen.add(k);
      }
    });
  }
  return { self, total, all };
}

/**
 * Parts of the worker's work, by what a sample's stack passes through (the first rule that any of its frames matches,
 * in this order): the rough split a flame graph would show, for a report.
 */
const PARTS: [string, (frame: ProfileNode['callFrame']) => boolean][] = [
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['abort signals and deadlines', (f) => /abort_controller|abort_listener|add-abort-signal|event_target/.test(f.url)],
  ["docker-modem's request dump (util.inspect)", (f) => /util\/inspect/.test(f.url)],
  ['logs (pino, redaction)', (f) => /node_modules\/pino|\/logger\.js|\/redact\.js/.test(f.url)],
  ['stdout result lines', (f) => /\/output\/output\.js/.test(f.url)],
  ['engine events and inventories', (f) => /engine-monitor\.js|inventory\.js/.test(f.url)],
  ['broker (amqplib)', (f) => /node_modules\/amqplib/.test(f.url)],
  ['Engine API calls (HTTP)', (f) => /docker-modem|dockerode|node:_http_|^node:http$|docker-client\.js/.test(f.url)],
  ['validation and policy', (f) => /node_modules\/ajv|messages\/parse|\/policy\//.test(f.url)],
  ["the worker's own code", (f) => /\/(dist|src)\//.test(f.url)],
];

/** Milliseconds per part of PARTS (the rest under "other"), idle left out. */
export function parts(profiles: CpuProfile[], skipMs = 0): Map<string, number> {
  const totals = new Map<string, number>();
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    let elapsedMs = 0;
    profile.samples.forEach((id, i) => {
      const ms = (profile.timeDeltas[i] ?? 0) / 1000;
      elapsedMs += ms;
      if (elapsedMs < skipMs || byId.get(id)!.callFrame.functionName === '(idle)') return;
      const frames: ProfileNode['callFrame'][] = [];
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur))
        frames.push(byId.get(cur)!.callFrame);
      const part =
        PARTS.find(([, test]) => frames.some(test))?.[0] ?? 'other (Node internals: sockets, streams, timers)';
      totals.set(part, (totals.get(part) ?? 0) + ms);
    });
  }
  return totals;
}

function top(map: Map<string, number>, all: number, count: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([k, ms]) => `${((ms / all) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(7)} ms  ${k}`);
}

function main(): void {
  const { values, positionals: files } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string' }, focus: { type: 'string' }, skip: { type: 'string' } },
  });
  const count = Number(values.top ?? 25);
  const focus = values.focus;
  const skipMs = Number(values.skip ?? 0) * 1000;
  if (files.length === 0 || !Number.isFinite(skipMs)) {
    throw new Error('usage: profile-summary <file.cpuprofile>… [--top N] [--focus <function>] [--skip <seconds>]');
  }
  const profiles = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile);
  const idle = (n: ProfileNode) => ['(idle)', '(program)', '(garbage collector)'].includes(n.callFrame.functionName);
  const byOwner = attribute(profiles, (n) => owner(n.callFrame.url, n.callFrame.functionName), focus, skipMs);
  const byFunction = attribute(profiles, (n) => (idle(n) ? n.callFrame.functionName : frameName(n)), focus, skipMs);
  const busy = byOwner.all - (byOwner.self.get('(idle)') ?? 0);
  const out = [
    `${files.length} profile(s), ${byOwner.all.toFixed(0)} ms sampled` +
      `${focus ? ` in stacks through ${focus}()` : ''}${skipMs ? ` after the first ${skipMs / 1000} s` : ''}, ` +
      `${busy.toFixed(0)} ms not idle`,
    '',
    'busy time by part of the work:',
    ...top(parts(profiles, skipMs), busy, count),
    '',
    'self time by package / file:',
    ...top(byOwner.self, byOwner.all, count),
    '',
    'total (inclusive) time by package / file:',
    ...top(byOwner.total, byOwner.all, count),
    '',
    'self time by function:',
    ...top(byFunction.self, byFunction.all, count),
    '',
    'total (inclusive) time by function:',
    ...top(byFunction.total, byFunction.all, count),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
