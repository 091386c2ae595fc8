import { readdirSync, readFileSync } from 'node:fs';

const DIR = new URL('../fixtures/messages/', import.meta.url);

/** An invalid message and what its error reply must say. */
export interface InvalidFixture {
  name: string;
  content: Buffer;
  code: string;
  /** Phrases the error message must contain (the offending field, the hint). */
  mentions: string[];
}

export function invalidFixtures(): InvalidFixture[] {
  return readdirSync(new URL('invalid/', DIR))
    .sort()
    .map((file) => {
      const f = JSON.parse(readFileSync(new URL(`invalid/${file}`, DIR), 'utf8')) as {
        body?: unknown;
        raw?: string;
        rawBase64?: string;
        code: string;
        mentions: string[];
      };
      const content =
        f.rawBase64 !== undefined
          ? Buffer.from(f.rawBase64, 'base64')
          : Buffer.from(f.raw !== undefined ? f.raw : JSON.stringify(f.body));
      return { name: file.replace(/\.json$/, ''), content, code: f.code, mentions: f.mentions };
    });
}

export function validFixtures(): { name: string; content: Buffer }[] {
  return readdirSync(new URL('valid/', DIR))
    .sort()
    .map((file) => ({ name: file.replace(/\.json$/, ''), content: readFileSync(new URL(`valid/${file}`, DIR)) }));
}
