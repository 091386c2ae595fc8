import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** rabbitmqctl against the local broker (the fault tests run only where scripts/services.sh started it). */
async function ctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 60_000 });
  return stdout;
}

/**
 * Closes, from the broker's side, every connection whose `info` item (a list_connections column) passes `match`;
 * returns how many.
 */
async function closeConnectionsWhere(info: string, match: (value: string) => boolean): Promise<number> {
  // n.b. the text format prints pids as close_connection takes them (<rabbit@host.N.N.N>); the JSON one does not.
  const rows = (await ctl('list_connections', 'pid', info, '-q')).split('\n').slice(1);
  const ours = rows.filter((row) => match(row.split('\t')[1]?.trim() ?? '')).map((row) => row.split('\t')[0]!);
  for (const pid of ours) await ctl('close_connection', pid, 'fault injection');
  return ours.length;
}

/** Closes, from the broker's side, every connection whose connection_name mentions `queue` (the worker's). */
export function closeConnectionsOf(queue: string): Promise<number> {
  return closeConnectionsWhere('client_properties', (value) =>
    value.includes(`{"connection_name","docker-dispatch ${queue} `),
  );
}

/** Closes, from the broker's side, every connection of a broker user. */
export function closeConnectionsOfUser(user: string): Promise<number> {
  return closeConnectionsWhere('user', (value) => value === user);
}

/** Stops the RabbitMQ application (connections drop, the node stays up) for `downMs`, then starts it again. */
export async function restartBroker(downMs: number): Promise<void> {
  await ctl('stop_app');
  await sleep(downMs);
  await ctl('start_app');
  await ctl('await_startup');
}

/** Adds a broker user with these permissions on vhost / (configure, write, read regexes), as an operator would. */
export async function addUser(name: string, password: string, permissions: [string, string, string]): Promise<void> {
  await ctl('add_user', name, password);
  await ctl('set_permissions', '-p', '/', name, ...permissions);
}

export async function deleteUser(name: string): Promise<void> {
  await ctl('delete_user', name).catch(() => undefined);
}
