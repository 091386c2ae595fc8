import { readdirSync, readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** Where the JSON Schemas live, from src/messages or dist/messages alike. */
export const SCHEMA_DIR = new URL('../../schemas/', import.meta.url);

const COMMAND_FILE = /^([a-z]+)\.schema\.json$/;

/** A compiled schema, with the schema itself for the error messages (the allowed keys of each object). */
export interface CompiledSchema {
  schema: Record<string, unknown>;
  validate: ValidateFunction;
}

/** The contract, loaded once at start-up: one schema per Dockercmd, plus the reply's. */
export interface SchemaRegistry {
  commands: ReadonlyMap<string, CompiledSchema>;
  reply: CompiledSchema;
}

let loaded: SchemaRegistry | undefined;

/** Loads and compiles schemas/ (once per process). */
export function loadSchemas(): SchemaRegistry {
  if (loaded) return loaded;
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  const commands = new Map<string, CompiledSchema>();
  let reply: CompiledSchema | undefined;
  for (const file of readdirSync(SCHEMA_DIR).sort()) {
    const match = COMMAND_FILE.exec(file);
    if (!match) continue;
    const schema = JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), 'utf8')) as Record<string, unknown>;
    const compiled = { schema, validate: ajv.compile(schema) };
    if (match[1] === 'reply') reply = compiled;
    else commands.set(match[1]!, compiled);
  }
  if (!reply) throw new Error(`schemas/reply.schema.json is missing from ${SCHEMA_DIR.pathname}`);
  loaded = { commands, reply };
  return loaded;
}

/** The schema node an ajv error's schemaPath points into, for listing allowed keys. */
export function schemaAt(root: Record<string, unknown>, error: ErrorObject): Record<string, unknown> | undefined {
  const parts = error.schemaPath.replace(/^#\/?/, '').split('/').slice(0, -1);
  let node: unknown = root;
  for (const part of parts) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'))];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string, unknown>) : undefined;
}
