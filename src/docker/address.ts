import { ConfigError } from '../errors.js';
import type { TlsFiles } from '../tls.js';

/** How to reach one Docker engine, parsed from one entry of `<dockerHost>`. */
export type EngineAddress =
  { kind: 'socket'; socketPath: string } | { kind: 'tcp'; protocol: 'http' | 'https'; host: string; port: number };

/** One engine as the operator named it: `id` is the name when given, else the address exactly as written. */
export interface EngineSpec {
  id: string;
  address: EngineAddress;
  /** The address part as written, for messages. */
  written: string;
  /** Labels Options.Constraints match against (hosts file only). */
  labels: Readonly<Record<string, string>>;
  /** Most docker-dispatch containers running there at once; undefined: no limit. */
  maxContainers?: number;
  tls?: TlsFiles;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const DEFAULT_PORT = { http: 2375, https: 2376 } as const;

/** Thrown for a `<dockerHost>` the worker cannot use; the message names the entry and what is wrong with it. */
export class AddressError extends ConfigError {
  override readonly name = 'AddressError';
}

/**
 * Parses `<dockerHost>`: one engine or a comma-separated list of `[name=]address`, where address is `host:port`,
 * `tcp://host:port`, `http://host:port`, `https://host:port`, `unix:///path/docker.sock` or `/path/docker.sock`.
 */
export function parseEngineList(list: string): EngineSpec[] {
  const entries = list.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => entry === '')) throw new AddressError('no Docker host given');
  const specs = entries.map((entry, index) => {
    if (entry === '') throw new AddressError(`Docker host list has an empty entry at position ${index + 1}: "${list}"`);
    return parseEngineEntry(entry);
  });
  assertUniqueIds(specs);
  return specs;
}

/**
 * Refuses two engines with the same id (a name, or an address as written): replies, logs and Options.Host name
 * engines by it. `duplicate` makes the error for the first id seen twice, at its index.
 */
export function assertUniqueIds(
  specs: readonly { id: string }[],
  duplicate: (id: string, index: number) => ConfigError = (id) =>
    new AddressError(`Docker host "${id}" is given twice; names must be unique`),
): void {
  const seen = new Set<string>();
  specs.forEach(({ id }, index) => {
    if (seen.has(id)) throw duplicate(id, index);
    seen.add(id);
  });
}

/** Parses one `[name=]address` entry. */
export function parseEngineEntry(entry: string): EngineSpec {
  const eq = entry.indexOf('=');
  const name = eq === -1 ? undefined : entry.slice(0, eq);
  const written = eq === -1 ? entry : entry.slice(eq + 1);
  if (name !== undefined && !NAME.test(name)) {
    throw new AddressError(
      `invalid Docker host name "${name}" in "${entry}": use letters, digits, "_", "." and "-", starting with a letter or digit`,
    );
  }
  return { id: name ?? written, address: parseAddress(written), written, labels: {} };
}

export function parseAddress(written: string): EngineAddress {
  const fail = (why: string): never => {
    throw new AddressError(`invalid Docker host "${written}": ${why}`);
  };
  if (written === '') fail('the address is empty');
  if (written.startsWith('/')) return { kind: 'socket', socketPath: written };

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(written)?.[1]?.toLowerCase();
  if (scheme === 'unix') {
    const socketPath = written.slice('unix://'.length);
    if (!socketPath.startsWith('/')) fail('a unix socket needs an absolute path, as in unix:///var/run/docker.sock');
    return { kind: 'socket', socketPath };
  }
  if (scheme !== undefined && !['tcp', 'http', 'https'].includes(scheme)) {
    fail(`unknown scheme "${scheme}://" (use tcp://, http://, https://, unix:// or host:port)`);
  }
  const protocol = scheme === 'https' ? 'https' : 'http';
  const rest = scheme === undefined ? written : written.slice(scheme.length + 3);
  let url: URL;
  try {
    url = new URL(`${protocol}://${rest}`);
  } catch {
    return fail('expected host:port');
  }
  if (url.username || url.password) fail('credentials in the address are not supported');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) fail('expected host:port with no path');
  // n.b. URL drops a port equal to the scheme's default (80, 443), so read it from the text.
  const writtenPort = /:(\d+)\/?$/.exec(rest)?.[1];
  if (scheme === undefined && writtenPort === undefined) fail('expected host:port (the port is required)');
  const port = writtenPort === undefined ? DEFAULT_PORT[protocol] : Number(writtenPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`port ${writtenPort} is out of range`);
  // URL keeps IPv6 literals bracketed; Node's http wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') fail('the host is empty');
  return { kind: 'tcp', protocol, host, port };
}
