import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

/** A path in this test run's scratch directory (removed when the run ends): files, sockets. */
export function scratchPath(name: string): string {
  return join(inject('scratchDir'), name);
}

/** A fresh directory in the scratch directory. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(inject('scratchDir'), prefix));
}
