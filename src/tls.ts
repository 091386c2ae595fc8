import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';

/** TLS files: the CA of a peer's certificate, and our client certificate and key. */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/** The contents of TLS files, as Node's tls options take them. */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * Reads the files given (read at each call, so renewed certificates are picked up); a file that cannot be read is a
 * ConfigError naming `whose` file it is and its path.
 */
export function readTlsFiles(files: TlsFiles | undefined, whose: string): TlsMaterial {
  const read = (what: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`cannot read the TLS ${what} of ${whose} (${path}): ${(err as Error).message}`);
    }
  };
  const material: TlsMaterial = {
    ca: read('CA', files?.ca),
    cert: read('certificate', files?.cert),
    key: read('key', files?.key),
  };
  return Object.fromEntries(Object.entries(material).filter(([, v]) => v !== undefined));
}
