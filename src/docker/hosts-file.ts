import { ConfigError } from '../errors.js';
import { readFile } from 'node:fs/promises';
import { describeErrors } from '../messages/parse.js';
import { loadSchemas } from '../messages/schemas.js';
import type { HostsFile } from '../messages/types.js';
import { AddressError, assertUniqueIds, parseAddress, type EngineSpec } from './address.js';

/** Thrown for a hosts file the worker cannot use; the message names the file and what is wrong. */
export class HostsFileError extends ConfigError {
  override readonly name = 'HostsFileError';
}

/** Reads and validates a --hosts file (schemas/hosts-file.schema.json) into engine specs. */
export async function loadHostsFile(path: string): Promise<EngineSpec[]> {
  let document: unknown;
  try {
    document = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new HostsFileError(`cannot read the hosts file ${path}: ${(err as Error).message}`);
  }
  const { validate, schema } = loadSchemas().hostsFile;
  if (!validate(document)) {
    throw new HostsFileError(`invalid hosts file ${path}: ${describeErrors(validate.errors ?? [], schema, document)}`);
  }
  const entries = document as HostsFile;
  assertUniqueIds(
    entries.map((e) => ({ id: e.Name })),
    (id, index) => new HostsFileError(`invalid hosts file ${path}: [${index}].Name "${id}" is given twice`),
  );
  return entries.map((entry, index) => {
    try {
      return {
        id: entry.Name,
        address: parseAddress(entry.Address),
        written: entry.Address,
        labels: { ...(entry.Labels as Record<string, string> | undefined) },
        maxContainers: entry.MaxContainers,
        tls: entry.Tls && { ca: entry.Tls.Ca, cert: entry.Tls.Cert, key: entry.Tls.Key },
      };
    } catch (err) {
      if (err instanceof AddressError)
        throw new HostsFileError(`invalid hosts file ${path}: [${index}].Address: ${err.message}`);
      throw err;
    }
  });
}
