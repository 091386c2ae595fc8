import { parseMessage } from '../messages/parse.js';
import type { Templates } from '../messages/templates.js';
import { EXIT } from './exit-codes.js';
import { readMessage } from './read-message.js';

/**
 * `docker-dispatch validate <file…>`: checks each message offline against the worker's schemas, with the worker's
 * error messages. Prints `ok <file>: <command>` or `<file>: <Code>: <why>`; exits 0 when all are valid, else 2.
 */
export async function validateFiles(
  files: readonly string[],
  print: (line: string) => void,
  printError: (line: string) => void,
  templates?: Templates,
): Promise<number> {
  let exitCode: number = EXIT.ok;
  for (const file of files) {
    let body: Buffer;
    let from: string;
    try {
      ({ body, from } = await readMessage(file));
    } catch (err) {
      printError(`${file}: cannot read it: ${(err as Error).message}`);
      exitCode = EXIT.invalid;
      continue;
    }
    const parsed = parseMessage(body, { templates });
    if (parsed.ok) print(`ok ${from}: ${parsed.message.Dockercmd}`);
    else {
      printError(`${from}: ${parsed.error.code}: ${parsed.error.message}`);
      exitCode = EXIT.invalid;
    }
  }
  return exitCode;
}
