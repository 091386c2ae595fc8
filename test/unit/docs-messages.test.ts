import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadSchemas } from '../../src/messages/schemas.js';

const readme = readFileSync(new URL('../../docs/messages.md', import.meta.url), 'utf8');

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
}

/** The fields of a schema as docs/messages.md names them: `Image`, `Options.Name`; objects with properties are expanded. */
function fieldsOf(schema: Schema, prefix = ''): { path: string; required: boolean }[] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, child]) => {
    const path = `${prefix}${key}`;
    if (child.type === 'object' && child.properties) return fieldsOf(child, `${path}.`);
    return [{ path, required: schema.required?.includes(key) ?? false }];
  });
}

/** The text of a section of docs/messages.md, from its heading to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/messages.md has no section "${heading}"`);
  const level = heading.split(' ')[0]!;
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level.length}} `, 'm'));
  return end < 0 ? rest : rest.slice(0, end);
}

/** Rows of the section's tables: each field named in a first cell (`Field`, or `Stdout`, `Stderr`) → the rest of the row. */
function tableRows(text: string): Map<string, string> {
  return new Map(
    [...text.matchAll(/^\| ((?:`[\w.]+`(?:, )?)+) \|(.*)$/gm)].flatMap((m) =>
      [...m[1]!.matchAll(/`([\w.]+)`/g)].map((f) => [f[1]!, m[2]!] as const),
    ),
  );
}

describe('the message reference in docs/messages.md', () => {
  for (const [command, { schema }] of loadSchemas().commands) {
    it(`lists exactly the fields of ${command}.schema.json in the ${command} table, required ones marked so`, () => {
      const rows = tableRows(section(`### \`${command}\``));
      const fields = fieldsOf(schema);
      expect([...rows.keys()].sort()).toEqual(fields.map((f) => f.path).sort());
      for (const field of fields) expect(rows.get(field.path)!.includes('required'), field.path).toBe(field.required);
    });
  }

  it('lists exactly the fields of reply.schema.json in the Replies table', () => {
    const rows = tableRows(section('## Replies'));
    expect([...rows.keys()].sort()).toEqual(Object.keys((loadSchemas().reply.schema as Schema).properties!).sort());
  });
});
