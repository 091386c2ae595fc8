import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { describe, inject } from 'vitest';

const run = promisify(execFile);
const NODE_SCRIPT = fileURLToPath(new URL('../../scripts/services/cluster-node.sh', import.meta.url));

/** One node of the test cluster (scripts/services.sh --cluster): its number, AMQP URL and Erlang node name. */
export interface ClusterNode {
  n: 1 | 2 | 3;
  url: string;
  name: string;
}

/**
 * Why the cluster tests cannot run here (the cluster was not set up), or undefined when they can. Required
 * (DD_REQUIRE_CLUSTER=1, as scripts/test.sh sets), it is never a reason: the tests run, and fail saying what is missing.
 */
function clusterMissing(): string | undefined {
  const { clusterUrls, clusterNodes: names, clusterRequired } = inject('services');
  if (clusterRequired || (clusterUrls && names)) return undefined;
  return 'no RabbitMQ cluster: AMQP_CLUSTER_URLS and RABBIT_CLUSTER_NODES are not set (`eval "$(scripts/services.sh --cluster)"`)';
}

/**
 * A describe block of cluster tests: skipped, visibly (its title says why, and a warning is printed), where the
 * cluster was not set up, so that a plain `npx vitest run` passes on a machine without one.
 */
export function describeOnCluster(title: string, tests: () => void): void {
  const missing = clusterMissing();
  if (missing) console.warn(`skipping "${title}": ${missing}`);
  describe.skipIf(missing !== undefined)(missing ? `${title} (skipped: ${missing})` : title, tests);
}

/** The cluster's three nodes; a clear failure when the cluster was not set up. */
export function clusterNodes(): ClusterNode[] {
  const { clusterUrls, clusterNodes: names } = inject('services');
  if (!clusterUrls || !names) {
    throw new Error(
      'the cluster tests need AMQP_CLUSTER_URLS and RABBIT_CLUSTER_NODES: run `eval "$(scripts/services.sh --cluster)"`',
    );
  }
  const urls = clusterUrls.split(',');
  return names.split(',').map((name, i) => ({ n: (i + 1) as 1 | 2 | 3, url: urls[i]!, name }));
}

/** The worker's comma-separated URL list, starting with node `first` (then the others in order). */
export function urlsFrom(first: 1 | 2 | 3): string {
  const nodes = clusterNodes();
  return [...nodes.slice(first - 1), ...nodes.slice(0, first - 1)].map((node) => node.url).join(',');
}

async function node(command: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(NODE_SCRIPT, [command, ...args], { timeout: 120_000 });
  return stdout.trim();
}

/** SIGKILL of one node (a crash). */
export function killNode(n: number): Promise<string> {
  return node('kill', String(n));
}

/** Starts a node again and waits until it has rejoined and runs. */
export function startNode(n: number): Promise<string> {
  return node('start', String(n));
}

/** The number of the node leading a quorum queue. */
export async function leaderOf(queue: string): Promise<number> {
  const leader = await node('leader', queue);
  const match = /^dd-cluster-(\d)@/.exec(leader);
  if (!match) throw new Error(`no leader for ${queue}: ${leader}`);
  return Number(match[1]);
}

/** `rabbitmqctl list_queues` of these columns on a node, on vhost /, one object per queue. */
async function listQueues(on: ClusterNode, columns: string[]): Promise<Record<string, unknown>[]> {
  const { stdout } = await run(
    'rabbitmqctl',
    ['-n', on.name, '-q', 'list_queues', '-p', '/', ...columns, '--formatter', 'json'],
    { timeout: 60_000 },
  );
  return JSON.parse(stdout) as Record<string, unknown>[];
}

/** A queue's arguments (x-queue-type, x-delivery-limit, …) as the broker holds them. */
export async function queueArgs(queue: string, on = clusterNodes()[1]!): Promise<Record<string, unknown>> {
  const row = (await listQueues(on, ['name', 'arguments'])).find((q) => q.name === queue);
  if (!row) throw new Error(`no queue ${queue} on ${on.name}`);
  // n.b. each argument as [name, AMQP type, value].
  return Object.fromEntries((row.arguments as [string, string, unknown][]).map(([name, , value]) => [name, value]));
}

/** A queue's messages as the broker counts them: ready for a consumer, and delivered but not acknowledged. */
export interface QueueCounts {
  ready: number;
  unacked: number;
}

export async function queueCounts(queue: string, on = clusterNodes()[1]!): Promise<QueueCounts> {
  const row = (await listQueues(on, ['name', 'messages_ready', 'messages_unacknowledged'])).find(
    (q) => q.name === queue,
  );
  if (!row) throw new Error(`no queue ${queue} on ${on.name}`);
  return { ready: Number(row.messages_ready), unacked: Number(row.messages_unacknowledged) };
}

/**
 * A queue's counts once nothing is left in it, ready or unacked, or the last counts read when `timeoutMs` passed: the
 * ack of a reply's message reaches the broker just after the reply, and a quorum queue's counts follow its log.
 */
export async function countsWhenDrained(queue: string, timeoutMs = 15_000): Promise<QueueCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await queueCounts(queue);
    if ((counts.ready === 0 && counts.unacked === 0) || Date.now() > deadline) return counts;
    await sleep(250);
  }
}

/** `rabbitmqctl list_queues name type` on a node, for the queues whose names start with `prefix`. */
export async function queueTypes(prefix: string, on = clusterNodes()[1]!): Promise<Record<string, string>> {
  const { stdout } = await run('rabbitmqctl', ['-n', on.name, '-q', 'list_queues', 'name', 'type'], {
    timeout: 60_000,
  });
  return Object.fromEntries(
    stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([name]) => name?.startsWith(prefix))
      .map(([name, type]) => [name!, type!]),
  );
}
