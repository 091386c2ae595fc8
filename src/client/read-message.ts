import { readFile } from 'node:fs/promises';

/** Where a message comes from: `-` or nothing is stdin, text starting with `{` is the message itself, else a file. */
export async function readMessage(source: string | undefined): Promise<{ body: Buffer; from: string }> {
  if (source === undefined || source === '-') return { body: await readStdin(), from: 'stdin' };
  if (source.trimStart().startsWith('{')) return { body: Buffer.from(source), from: 'the argument' };
  return { body: await readFile(source), from: source };
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
