import { DEFAULTS, type WorkerConfig } from '../config.js';
import { BrokerUnreachableError, Worker } from '../delivery/worker.js';
import type { EngineSpec } from '../docker/address.js';
import { checkEngines } from '../docker/check.js';
import { Engine } from '../docker/engine.js';
import { loadHostsFile } from '../docker/hosts-file.js';
import { Placement } from '../docker/placement.js';
import { EnginePool } from '../docker/pool.js';
import { reportEarlierContainers } from '../docker/reconcile.js';
import { createStrategy } from '../docker/strategies/index.js';
import { ConfigError } from '../errors.js';
import type { Operations } from '../http/operations.js';
import { HttpListenError } from '../http/server.js';
import { createLogger } from '../logger.js';
import { loadSchemas } from '../messages/schemas.js';
import { loadTemplates, NO_TEMPLATES } from '../messages/templates.js';
import { PoolEngineStatus } from '../observe/pool-engine-status.js';
import { useColor } from '../output/colors.js';
import { createOutput } from '../output/output.js';
import { redact } from '../redact.js';
import { withBrokerHint, withEngineHint } from './hints.js';
import { toConfig } from './options.js';
import { buildProgram, type CliOptions } from './program.js';
import { reloadHostsFile } from './reload.js';

/** One clear line on stderr, never a secret, then exit 1. */
function die(message: string): never {
  process.stderr.write(`docker-dispatch: ${redact(message)}\n`);
  process.exit(1);
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.parse(argv);
  const options = program.opts<CliOptions>();
  let config: Readonly<WorkerConfig>;
  let engines: Engine[];
  let fromFile: EngineSpec[] = [];
  let templates = NO_TEMPLATES;
  try {
    loadSchemas();
    fromFile = options.hosts ? await loadHostsFile(options.hosts) : [];
    templates = options.templates ? loadTemplates(options.templates) : NO_TEMPLATES;
    config = toConfig(program.args, options, fromFile);
    engines = config.engines.map((spec) => new Engine(spec, config.defaultTls));
  } catch (err) {
    // n.b. the operator's configuration is wrong: its own words, one line.
    if (err instanceof ConfigError) die(err.message);
    die(`cannot start: ${(err as Error).message}`);
  }

  const log = createLogger(config.logLevel, undefined, { pretty: process.stderr.isTTY === true });
  const answering = await checkEngines(engines, config.pingTimeoutMs);
  if (answering.length === 0) die(withEngineHint(`no Docker engine answers: ${answering.failures.join('; ')}`));

  const monitor = {
    intervalMs: config.healthIntervalMs,
    quarantineAfter: DEFAULTS.quarantineAfter,
    maxBackoffMs: DEFAULTS.maxProbeBackoffMs,
  };
  const pool = new EnginePool(engines, { monitor, log, defaultTls: config.defaultTls }, (engine) =>
    answering.includes(engine),
  );
  pool.start();
  const placement = new Placement(pool, createStrategy(config.strategy));
  await reportEarlierContainers(pool, config.queues.queue, log);

  let operations: Operations | undefined;
  if (config.http) {
    const info = { version: programVersion(program), queue: config.queues.queue, prefetch: config.prefetch };
    try {
      // n.b. loaded only when asked for: prom-client and the HTTP side cost memory a worker without --http-port keeps.
      const { startOperations } = await import('../http/operations.js');
      operations = await startOperations({ listen: config.http, info, log, engineStatus: new PoolEngineStatus(pool) });
    } catch (err) {
      if (err instanceof HttpListenError) die(err.message);
      throw err;
    }
  }

  let worker: Worker;
  try {
    const output = createOutput(config.output, undefined, { color: useColor(process.stdout.isTTY, process.env) });
    worker = await Worker.start(config, { pool, placement, output, log, templates, observer: operations?.observer });
  } catch (err) {
    if (err instanceof BrokerUnreachableError) die(withBrokerHint(err.message));
    die(
      `cannot set up the queues: ${(err as Error).message} (does the user have configure and write permissions on the vhost?)`,
    );
  }
  operations?.track(worker);

  // After start-up succeeded: a failing start-up prints only its one error line.
  if (config.policy.allowImages.length === 0) {
    log.warn(
      'no --allow-image rule: every image is allowed, so whoever can publish ' +
        'to the queue can run any image on the engines. Set --allow-image',
    );
  }

  // SIGHUP re-reads --hosts: new engines join, removed ones stop taking work, work in flight is not disturbed.
  const positional = config.engines.filter((spec) => !fromFile.some((f) => f.id === spec.id));
  process.on('SIGHUP', () => {
    if (!config.hostsFile) return log.warn('SIGHUP: there is no --hosts file to re-read');
    void reloadHostsFile(config.hostsFile, positional, pool, config, log);
  });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting now; unacked messages go back to the queue');
      process.exit(130);
    }
    log.info({ signal }, 'shutting down: no new messages, waiting for commands in progress');
    void worker.close().finally(() => pool.stop());
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  await worker.stopped;
  await operations?.close();
  log.info('stopped');
  process.exit(0);
}

main(process.argv).catch((err: unknown) => die(`unexpected failure: ${(err as Error)?.stack ?? String(err)}`));

function programVersion(program: { version(): string | undefined }): string {
  return program.version() ?? 'unknown';
}
