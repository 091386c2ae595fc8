import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineStatusSource } from './engine-status.js';
import { commandLabel, commandLabels } from './labels.js';
import { SETTLEMENTS, type WorkerObserver } from './observer.js';
import { readiness } from './readiness.js';
import type { WorkerStatusSource } from './worker-status.js';

export const METRIC_PREFIX = 'docker_dispatch_';

/** Seconds: container jobs take from a fraction of a second to hours. */
export const DURATION_BUCKETS_SECONDS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400];

export interface MetricsSources {
  engines: EngineStatusSource;
  worker: WorkerStatusSource;
  /** For `docker_dispatch_info`. */
  info: { version: string; queue: string };
}

/**
 * The Prometheus metrics, prefix `docker_dispatch_`, in a registry of their own. Message counts come from the worker
 * (as its observer); engine and broker state are read from their sources at each scrape. Labels are the command, the
 * settlement, the error code, the reply status, the engine id and (engine_info only) its vendor and versions: a
 * handful of values each, never a message or container id.
 */
export class DispatchMetrics {
  readonly registry = new Registry();
  readonly observer: WorkerObserver;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    const name = (n: string) => `${METRIC_PREFIX}${n}`;
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });

    const received = new Counter({
      name: name('messages_received_total'),
      help: 'Messages taken from the queue, by command',
      labelNames: ['command'],
      registers,
    });
    const finished = new Counter({
      name: name('messages_finished_total'),
      help:
        'Messages done with, by command and outcome (ok, dead-lettered, cancelled, retried, handed-over, ' +
        'error = went back to the queue unsettled)',
      labelNames: ['command', 'outcome'],
      registers,
    });
    const duration = new Histogram({
      name: name('command_duration_seconds'),
      help: 'Time from reading a message to its result, by command and outcome',
      labelNames: ['command', 'outcome'],
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    const inProgress = new Gauge({
      name: name('messages_in_progress'),
      help: 'Messages being worked on now, by command',
      labelNames: ['command'],
      registers,
    });
    const errors = new Counter({
      name: name('errors_total'),
      help: 'Error replies and retries, by command and error code',
      labelNames: ['command', 'code'],
      registers,
    });
    const replies = new Counter({
      name: name('replies_published_total'),
      help: 'Replies published and confirmed by the broker, by command and status',
      labelNames: ['command', 'status'],
      registers,
    });
    for (const command of commandLabels()) {
      received.labels(command).inc(0);
      inProgress.labels(command).set(0);
      for (const outcome of SETTLEMENTS) finished.labels(command, outcome).inc(0);
    }

    new Gauge({
      name: name('engine_up'),
      help: 'Whether the engine takes work (1) or is quarantined (0)',
      labelNames: ['engine'],
      registers,
      collect() {
        this.reset();
        for (const engine of sources.engines.engines()) this.labels(engine.id).set(engine.healthy ? 1 : 0);
      },
    });
    new Gauge({
      name: name('containers_running'),
      help:
        'Running containers created by docker-dispatch, per engine, from its inventory (event stream); ' +
        'absent while the engine is quarantined or its inventory not synced',
      labelNames: ['engine'],
      registers,
      collect() {
        this.reset();
        // n.b. no sample rather than a stale one: the hosts reply says null, /api/status null.
        for (const engine of sources.engines.engines())
          if (engine.running !== null) this.labels(engine.id).set(engine.running);
      },
    });
    new Gauge({
      name: name('engine_capacity'),
      help: 'Most containers the engine should run at once, for engines with a limit',
      labelNames: ['engine'],
      registers,
      collect() {
        this.reset();
        for (const engine of sources.engines.engines())
          if (engine.capacity !== undefined) this.labels(engine.id).set(engine.capacity);
      },
    });
    new Gauge({
      name: name('engine_info'),
      help: 'The engine as its /version describes it: vendor (docker, podman), version and API version; always 1',
      labelNames: ['engine', 'vendor', 'version', 'api_version'],
      registers,
      collect() {
        // n.b. reset first: an engine upgraded (or replaced by a reload) leaves no series of its old version behind.
        this.reset();
        for (const engine of sources.engines.engines()) {
          if (engine.vendor === undefined) continue; // not described yet: it has not answered /version
          this.labels(engine.id, engine.vendor, engine.version ?? '', engine.apiVersion ?? '').set(1);
        }
      },
    });
    new Gauge({
      name: name('amqp_connected'),
      help: 'Whether the worker is connected to RabbitMQ (1) or not (0)',
      registers,
      collect() {
        this.set(sources.worker.status().amqpConnected ? 1 : 0);
      },
    });
    new Counter({
      name: name('amqp_disconnects_total'),
      help: 'Times the RabbitMQ connection was lost (and recovered in place)',
      registers,
      collect() {
        this.reset();
        this.inc(sources.worker.status().amqpDisconnects);
      },
    });
    new Gauge({
      name: name('ready'),
      help: 'Whether the worker is consuming with at least one healthy engine (1), as /readyz says, or not (0)',
      registers,
      collect() {
        this.set(readiness(sources.worker.status(), sources.engines.engines()).ready ? 1 : 0);
      },
    });
    new Gauge({
      name: name('info'),
      help: 'The worker: version and queue',
      labelNames: ['version', 'queue'],
      registers,
    })
      .labels(sources.info.version, sources.info.queue)
      .set(1);

    this.observer = {
      received(message) {
        const command = commandLabel(message.dockercmd);
        received.labels(command).inc();
        inProgress.labels(command).inc();
        return {
          started: () => undefined,
          replied: (reply) => replies.labels(command, reply.Status).inc(),
          finished({ settlement, reply, durationMs }) {
            inProgress.labels(command).dec();
            finished.labels(command, settlement).inc();
            if (durationMs !== undefined) duration.labels(command, settlement).observe(durationMs / 1000);
            // n.b. a settlement of `error` is not a command failure: the message goes back to the queue to try again.
            if (reply?.Error && settlement !== 'error') errors.labels(command, reply.Error.Code).inc();
          },
        };
      },
    };
  }

  /** The Prometheus text exposition. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
