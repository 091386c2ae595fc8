import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/commands/index.js';
import { DispatchError, ERROR_CODES } from '../../src/errors.js';
import { loadSchemas } from '../../src/messages/schemas.js';
import { buildReply } from '../../src/delivery/reply.js';

const root = new URL('../../', import.meta.url);

describe('the contract', () => {
  it('has a handler for every command schema, and a schema for every handler', () => {
    expect([...loadSchemas().commands.keys()].sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  it('every command schema forbids unknown fields on every object', () => {
    const check = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.type === 'object' && n.properties) expect(n.additionalProperties, path).toBe(false);
      for (const [k, v] of Object.entries(n)) check(v, `${path}/${k}`);
    };
    for (const [name, { schema }] of loadSchemas().commands) check(schema, name);
  });

  it('keeps the TypeScript types generated from the schemas up to date', () => {
    execFileSync(process.execPath, ['scripts/gen-types.mjs', '--check'], { cwd: root, stdio: 'pipe' });
  });

  it('lists the same error codes in the reply schema as in the code table', () => {
    const schema = loadSchemas().reply.schema as {
      properties: { Error: { properties: { Code: { enum: string[] } } } };
    };
    expect(schema.properties.Error.properties.Code.enum.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('documents every error code, with what happens to the message, in the table of docs/messages.md', () => {
    const readme = readFileSync(new URL('docs/messages.md', root), 'utf8');
    const rows = [
      ...readme.matchAll(
        /^\| `(\w+)` \| (reply \+ dead-letter|retry, then reply \+ dead-letter|reply, not dead-lettered) \|/gm,
      ),
    ].map((m) => [m[1], m[2]]);
    const described = {
      'dead-letter': 'reply + dead-letter',
      retry: 'retry, then reply + dead-letter',
      reply: 'reply, not dead-lettered',
    } as const;
    const expected = Object.entries(ERROR_CODES).map(([code, { disposition }]) => [code, described[disposition]]);
    expect(rows.sort()).toEqual(expected.sort());
  });

  it('builds replies that validate against reply.schema.json, ok and error alike', () => {
    const { validate } = loadSchemas().reply;
    const ok = buildReply({
      messageId: 'm1',
      dockercmd: 'run',
      result: { Host: 'a', Container: { Id: 'x', Name: 'n' }, ExitCode: 0, Stdout: '', Stderr: 'e' },
      error: undefined,
    });
    const error = buildReply({
      messageId: 'm2',
      dockercmd: undefined,
      result: {},
      error: new DispatchError('InvalidJson', 'bad', { context: { host: 'b' } }),
    });
    for (const reply of [ok, error]) expect(validate(reply) ? [] : validate.errors).toEqual([]);
    expect(error).toEqual({
      Status: 'error',
      MessageId: 'm2',
      Host: 'b',
      Error: { Code: 'InvalidJson', Message: 'bad' },
    });
    // The schema is strict: an error reply without Error, or an ok reply with one, is refused.
    expect(validate({ Status: 'error', MessageId: 'm' })).toBe(false);
    expect(validate({ ...ok, Error: { Code: 'Conflict', Message: 'x' } })).toBe(false);
  });
});
