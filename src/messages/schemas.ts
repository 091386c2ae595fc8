import { readdirSync, readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** Where the JSON Schemas live, from src/messages or dist/messages alike. */
export const SCHEMA_DIR = new URL('../../schemas/', import.meta.url);

const SCHEMA_FILE = /^([a-z-]+)\.schema\.json$/;
/** Schemas that are not commands. */
const NOT_COMMANDS = new Set(['reply', 'hosts-file', 'output', 'attempt']);

/** A compiled schema, with the schema itself for the error messages (the allowed keys of each object). */
export interface CompiledSchema {
  schema: Record<string, unknown>;
  validate: ValidateFunction;
}

/** The contract, loaded once at start-up: one schema per Dockercmd, plus the reply's, the output message's and the hosts file's. */
export interface SchemaRegistry {
  commands: ReadonlyMap<string, CompiledSchema>;
  reply: CompiledSchema;
  /** A run's live output message (Options.Stream). */
  output: CompiledSchema;
  /** A run's attempt retried by its exit code (Options.Retry). */
  attempt: CompiledSchema;
  hostsFile: CompiledSchema;
}

let loaded: SchemaRegistry | undefined;

/** Loads and compiles schemas/ (once per process). */
export function loadSchemas(): SchemaRegistry {
  if (loaded) return loaded;
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  const all = new Map<string, CompiledSchema>();
  for (const file of readdirSync(SCHEMA_DIR).sort()) {
    const match = SCHEMA_FILE.exec(file);
    if (!match) continue;
    const schema = JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), 'utf8')) as Record<string, unknown>;
    all.set(match[1]!, { schema, validate: ajv.compile(schema) });
  }
  const required = (name: string): CompiledSchema => {
    const compiled = all.get(name);
    if (!compiled) throw new Error(`schemas/${name}.schema.json is missing from ${SCHEMA_DIR.pathname}`);
    return compiled;
  };
  const commands = new Map([...all].filter(([name]) => !NOT_COMMANDS.has(name)));
  loaded = {
    commands,
    reply: required('reply'),
    output: required('output'),
    attempt: required('attempt'),
    hostsFile: required('hosts-file'),
  };
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
