import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const SCENARIOS = ['latency', 'throughput', 'messages', 'memory', 'calls', 'scale', 'podman'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The bench's parameters; every one is a flag (`npm run bench -- --help`). */
export interface BenchOptions {
  /** Engines of the test set-up to use, by name (a: DOCKER_HOST_A, b: DOCKER_HOST_B). */
  engines: string[];
  /** N: sequential attached runs for the latency comparison, per side. */
  latencyRuns: number;
  /** Runs per throughput measurement, per side. */
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
  /** Scale: the numbers of simulated engines (M) a worker is run against, one worker each. */
  scaleEngines: number[];
  /** Scale: runs of each timed batch, per M and round (worker CPU per run). */
  scaleRuns: number;
  /** Scale: each simulated Engine API call's service time, and how long a simulated container runs, in ms. */
  scaleServiceMs: number;
  /** bin/docker-dispatch to measure: this tree's by default; another checkout's for a before/after. */
  workerBin: string | undefined;
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
  scaleEngines: [2, 8, 32],
  scaleRuns: 100,
  scaleServiceMs: 2,
  workerBin: undefined,
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
  scaleEngines: [2, 8],
  scaleRuns: 10,
};

export const USAGE = `npm run bench -- [options]

Measures bin/docker-dispatch against the Docker Engine API called directly (and the broker alone), on the services
of the test set-up (eval "$(scripts/services.sh)" first; Podman too when DOCKER_HOST_PODMAN is set), and alone against
M simulated engines (scale). Prints a table; writes JSON under bench/results/. See bench/README.md.

  --engines <a,b>            engines to use                                   (default a,b)
  --latency-runs <N>         sequential attached runs, per side                (default ${DEFAULTS.latencyRuns})
  --throughput-runs <n>      runs per throughput measurement, per side         (default ${DEFAULTS.throughputRuns})
  --concurrency <K>          worker prefetch = direct concurrency              (default ${DEFAULTS.concurrency})
  --message-prefetch <n,…>   prefetch on the message path, one run per value   (default ${DEFAULTS.messagePrefetch.join(',')})
  --rounds <R>               rounds per comparison, sides alternating first    (default ${DEFAULTS.rounds})
  --invalid-messages <n>     invalid messages per message-path round           (default ${DEFAULTS.invalidMessages})
  --stop-messages <n>        stop-of-a-missing-container messages per round    (default ${DEFAULTS.stopMessages})
  --memory-messages <n>      messages through the memory worker                (default ${DEFAULTS.memoryMessages})
  --warmup <n>               untimed runs before each series                   (default ${DEFAULTS.warmup})
  --scale-engines <M,…>      scale: simulated engines, one worker per value    (default ${DEFAULTS.scaleEngines.join(',')})
  --scale-runs <n>           scale: runs per timed batch, per M and round      (default ${DEFAULTS.scaleRuns})
  --scale-service-ms <ms>    scale: service time of each simulated call        (default ${DEFAULTS.scaleServiceMs})
  --worker <bin>             the worker to measure (another checkout's bin/docker-dispatch, built; default this one's)
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
      'scale-engines': { type: 'string' },
      'scale-runs': { type: 'string' },
      'scale-service-ms': { type: 'string' },
      worker: { type: 'string' },
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
  const scaleEngines =
    values['scale-engines'] === undefined
      ? base.scaleEngines
      : values['scale-engines'].split(',').map((m) => whole('--scale-engines', m.trim(), 1));
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
    scaleEngines,
    scaleRuns: count('scale-runs', base.scaleRuns),
    scaleServiceMs: count('scale-service-ms', base.scaleServiceMs, 0),
    workerBin: values.worker === undefined ? undefined : resolve(values.worker),
    only: only as Scenario[],
    profile: values.profile ?? false,
    outDir: values.out ?? base.outDir,
    smoke: base.smoke,
  };
}
