import { parseArgs } from 'node:util';

export const SCENARIOS = ['latency', 'throughput', 'messages', 'memory', 'calls'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The bench's parameters; every one is a flag (`npm run bench -- --help`). */
export interface BenchOptions {
  /** Engines of the test set-up to use, by name (a: DOCKER_HOST_A, b: DOCKER_HOST_B). */
  engines: string[];
  /** N: sequential attached runs for the latency comparison, per side. */
  latencyRuns: number;
  /** M: runs per throughput measurement, per side. */
  throughputRuns: number;
  /** K: the worker's prefetch and the direct baseline's concurrency. */
  concurrency: number;
  /** Message path: the worker's prefetch and the AMQP baseline's, one comparison per value. */
  messagePrefetch: number[];
  /** Rounds of each throughput and message-path comparison, alternating which side goes first. */
  rounds: number;
  /** Invalid messages per message-path round. */
  invalidMessages: number;
  /** `stop` messages (of a missing container) per message-path round. */
  stopMessages: number;
  /** Cheap messages pushed through the memory worker, in five equal batches. */
  memoryMessages: number;
  /** Untimed runs before each timed series, per side. */
  warmup: number;
  /** Pause that lets the machine settle between measurements and before memory samples, in ms. */
  pauseMs: number;
  only: Scenario[];
  /** Write V8 CPU profiles of the workers (node --cpu-prof) beside the results. */
  profile: boolean;
  outDir: string;
  smoke: boolean;
}

const DEFAULTS: BenchOptions = {
  engines: ['a', 'b'],
  latencyRuns: 24,
  throughputRuns: 16,
  concurrency: 4,
  messagePrefetch: [4, 64],
  rounds: 3,
  invalidMessages: 1500,
  stopMessages: 300,
  memoryMessages: 5000,
  warmup: 4,
  pauseMs: 1000,
  only: [...SCENARIOS],
  profile: false,
  outDir: 'bench/results',
  smoke: false,
};

/** Small enough to finish in well under a minute: checks that the bench works, measures nothing worth keeping. */
const SMOKE: Partial<BenchOptions> = {
  latencyRuns: 2,
  throughputRuns: 2,
  messagePrefetch: [4],
  rounds: 1,
  invalidMessages: 100,
  stopMessages: 20,
  memoryMessages: 250,
  warmup: 0,
  pauseMs: 100,
};

export const USAGE = `npm run bench -- [options]

Measures bin/docker-dispatch against the Docker Engine API called directly (and the broker alone), on the services
of the test set-up (eval "$(scripts/services.sh)" first). Prints a table; writes JSON under bench/results/.

  --engines <a,b>            engines to use                                   (default a,b)
  --latency-runs <N>         sequential attached runs, per side                (default ${DEFAULTS.latencyRuns})
  --throughput-runs <M>      runs per throughput measurement, per side         (default ${DEFAULTS.throughputRuns})
  --concurrency <K>          worker prefetch = direct concurrency              (default ${DEFAULTS.concurrency})
  --message-prefetch <n,…>   prefetch on the message path, one run per value   (default ${DEFAULTS.messagePrefetch.join(',')})
  --rounds <R>               rounds per comparison, sides alternating first    (default ${DEFAULTS.rounds})
  --invalid-messages <n>     invalid messages per message-path round           (default ${DEFAULTS.invalidMessages})
  --stop-messages <n>        stop-of-a-missing-container messages per round    (default ${DEFAULTS.stopMessages})
  --memory-messages <n>      messages through the memory worker                (default ${DEFAULTS.memoryMessages})
  --warmup <n>               untimed runs before each series                   (default ${DEFAULTS.warmup})
  --only <list>              some of ${SCENARIOS.join(',')}
  --profile                  CPU-profile the workers (node --cpu-prof) into the results folder
  --out <dir>                where results go                                  (default ${DEFAULTS.outDir})
  --smoke                    a tiny run (well under a minute) that checks the bench works
  -h, --help`;

/** Thrown for a bad flag; its message is the one line the user sees. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function whole(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min) throw new UsageError(`${flag} must be a whole number ≥ ${min}, not "${text}"`);
  return n;
}

/** Parses the command line; undefined means --help was asked for. */
export function parseOptions(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      engines: { type: 'string' },
      'latency-runs': { type: 'string' },
      'throughput-runs': { type: 'string' },
      concurrency: { type: 'string' },
      'message-prefetch': { type: 'string' },
      rounds: { type: 'string' },
      'invalid-messages': { type: 'string' },
      'stop-messages': { type: 'string' },
      'memory-messages': { type: 'string' },
      warmup: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'boolean' },
      out: { type: 'string' },
      smoke: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const base = { ...DEFAULTS, ...(values.smoke ? SMOKE : {}), smoke: values.smoke ?? false };
  const count = (flag: string, fallback: number, min = 1): number => {
    const text = (values as Record<string, string | undefined>)[flag];
    return text === undefined ? fallback : whole(`--${flag}`, text, min);
  };
  const only = values.only === undefined ? base.only : values.only.split(',').map((s) => s.trim());
  const unknown = only.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new UsageError(`--only: unknown ${unknown.join(', ')} (use ${SCENARIOS.join(', ')})`);
  const prefetch =
    values['message-prefetch'] === undefined ? base.messagePrefetch : values['message-prefetch'].split(',');
  const engines = values.engines === undefined ? base.engines : values.engines.split(',').map((s) => s.trim());
  return {
    engines,
    latencyRuns: count('latency-runs', base.latencyRuns),
    throughputRuns: count('throughput-runs', base.throughputRuns),
    concurrency: count('concurrency', base.concurrency),
    messagePrefetch: prefetch.map((p) => (typeof p === 'number' ? p : whole('--message-prefetch', p.trim(), 1))),
    rounds: count('rounds', base.rounds),
    invalidMessages: count('invalid-messages', base.invalidMessages),
    stopMessages: count('stop-messages', base.stopMessages),
    memoryMessages: count('memory-messages', base.memoryMessages, 5),
    warmup: count('warmup', base.warmup, 0),
    pauseMs: base.pauseMs,
    only: only as Scenario[],
    profile: values.profile ?? false,
    outDir: values.out ?? base.outDir,
    smoke: base.smoke,
  };
}
