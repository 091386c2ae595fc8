import { writeFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { TestBroker } from './broker.js';
import { dockerClient, removeContainers, services, unique } from './services.js';
import { WorkerProcess } from './worker-process.js';
import { scratchPath } from './scratch.js';

/** One worker on its own queue over the two test engines (named a and b), with a broker client and cleanup. */
export interface Harness {
  queue: string;
  replyQueue: string;
  deadLetterQueue: string;
  image: string;
  amqpUrl: string;
  hosts: string;
  broker: TestBroker;
  worker: WorkerProcess;
  engines: { a: Docker; b: Docker };
  /** Stops the worker, removes its queues and every container made for them. */
  cleanup(extraContainers?: string[]): Promise<void>;
}

/**
 * `amqp`: the worker's broker URL(s) and the URL of the test's own client, when not the single test broker (the
 * cluster's tests connect the worker to one node and the test to another).
 */
export async function startHarness(
  prefix: string,
  extraArgs: string[] = [],
  hosts?: string,
  amqp?: { worker: string; client: string },
): Promise<Harness> {
  const { hostA, hostB, image } = services();
  const amqpUrl = amqp?.worker ?? services().amqpUrl;
  const queue = unique(prefix);
  const engineList = hosts ?? `a=${hostA},b=${hostB}`;
  const broker = await TestBroker.connect(amqp?.client ?? amqpUrl);
  // An empty engine list: the engines come from --hosts in extraArgs.
  const positional = engineList === '' ? [amqpUrl] : [engineList, amqpUrl];
  const worker = await WorkerProcess.start(['-q', queue, '--network', 'none', ...extraArgs, ...positional]);
  const engines = { a: dockerClient(hostA), b: dockerClient(hostB) };
  const harness: Harness = {
    queue,
    replyQueue: `${queue}.replies`,
    deadLetterQueue: `${queue}.dead`,
    image,
    amqpUrl,
    hosts: engineList,
    broker,
    worker,
    engines,
    async cleanup(extraContainers = []) {
      await worker.stop();
      await removeContainers([engines.a, engines.b], queue, extraContainers);
      // n.b. the harness's broker client may have been replaced (a fault test restarts the broker).
      await harness.broker.deleteWorkerQueues(queue);
      await harness.broker.close();
    },
  };
  return harness;
}

/** Is there a container with this id or name on the engine? */
export async function exists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getContainer(ref).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Creates (and optionally starts) a container directly on an engine, as another user of the engine would. */
export async function makeContainer(docker: Docker, image: string, name: string, cmd = ['sleep', '300'], start = true) {
  const container = await docker.createContainer({ name, Image: image, Cmd: cmd, HostConfig: { NetworkMode: 'none' } });
  if (start) await container.start();
  return container;
}

/** Writes a --hosts file and returns its path. */
export function hostsFile(entries: Record<string, unknown>[]): string {
  const path = scratchPath(`${unique('hosts')}.json`);
  writeFileSync(path, JSON.stringify(entries));
  return path;
}

/** A run that prints `<first>` and then sleeps a minute (to be cancelled or stopped), attached, with extra options. */
export function longRun(image: string, options: Record<string, unknown> = {}, first = 'started') {
  return {
    Dockercmd: 'run',
    Image: image,
    Cmd: ['sh', '-c', `echo ${first}; sleep 60`],
    Options: { Attach: ['STDOUT'], ...options },
  };
}

/** A quick attached, removed run of `echo hi`, with extra options. */
export function echoRun(image: string, options: Record<string, unknown> = {}) {
  return {
    Dockercmd: 'run',
    Image: image,
    Cmd: ['echo', 'hi'],
    Options: { Attach: ['STDOUT'], Remove: true, ...options },
  };
}
