import type { ErrorObject } from 'ajv';
import { DispatchError } from '../errors.js';
import { loadSchemas, schemaAt, type SchemaRegistry } from './schemas.js';
import { applyTemplate, NO_TEMPLATES, type Templates } from './templates.js';
import type { CommandMessage } from './types.js';

/** The outcome of reading a message body: a valid command, or the error to reply with (and the command it named). */
export type ParseResult =
  { ok: true; message: CommandMessage } | { ok: false; error: DispatchError; dockercmd?: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Most problems one error message lists; a message with thousands of bad keys gets a short answer. */
const MAX_PROBLEMS = 10;
/** Longest field name quoted in an error message. */
const MAX_QUOTED = 100;

export interface ParseOptions {
  /** Largest body accepted, checked before parsing. */
  maxBytes?: number;
  registry?: SchemaRegistry;
  /** --templates: a run naming a Template is merged with it before validation. */
  templates?: Templates;
}

/**
 * Reads a message body: at most `maxBytes`, UTF-8 JSON, an object naming a known Dockercmd, valid against that
 * command's schema.
 */
export function parseMessage(
  body: Buffer,
  { maxBytes = Infinity, registry = loadSchemas(), templates = NO_TEMPLATES }: ParseOptions = {},
): ParseResult {
  if (body.length > maxBytes) {
    return {
      ok: false,
      error: invalid(
        `the message is ${body.length} bytes, more than the ${maxBytes} this worker accepts (--max-message-bytes)`,
      ),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch (err) {
    const why = err instanceof SyntaxError ? err.message : 'the body is not valid UTF-8';
    return { ok: false, error: new DispatchError('InvalidJson', `message body is not valid JSON: ${why}`) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      error: invalid(`the message must be a JSON object with a Dockercmd field, not ${describe(value)}`),
    };
  }
  let fields = value as Record<string, unknown>;
  try {
    fields = applyTemplate(fields, templates);
  } catch (err) {
    return { ok: false, dockercmd: 'run', error: err as DispatchError };
  }
  const known = [...registry.commands.keys()].join(', ');
  const dockercmd = fields.Dockercmd;
  if (dockercmd === undefined) {
    const lowercase = Object.keys(fields).find((key) => key.toLowerCase() === 'dockercmd');
    const hint = lowercase
      ? `: keys are capitalized, write "Dockercmd" instead of "${lowercase}"`
      : ` (one of ${known})`;
    return { ok: false, error: invalid(`Dockercmd is required${hint}`) };
  }
  if (typeof dockercmd !== 'string') {
    return {
      ok: false,
      error: invalid(`Dockercmd must be a string naming a command (${known}), not ${describe(dockercmd)}`),
    };
  }
  const command = registry.commands.get(dockercmd);
  if (!command) {
    return {
      ok: false,
      dockercmd: quote(dockercmd),
      error: invalid(`Dockercmd "${quote(dockercmd)}" is not a known command (${known})`),
    };
  }
  if (!command.validate(fields)) {
    return {
      ok: false,
      dockercmd,
      error: invalid(describeErrors(command.validate.errors ?? [], command.schema, fields)),
    };
  }
  return { ok: true, message: fields as unknown as CommandMessage };
}

function invalid(message: string): DispatchError {
  return new DispatchError('InvalidMessage', message);
}

/** A name from the message, shortened so a huge key cannot make a huge error message. */
function quote(name: string): string {
  return name.length > MAX_QUOTED ? `${name.slice(0, MAX_QUOTED)}…` : name;
}

/** `/Options/Attach/2` → `Options.Attach[2]`. */
export function fieldPath(instancePath: string, child?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => quote(p.replace(/~1/g, '/').replace(/~0/g, '~')));
  if (child !== undefined) parts.push(quote(child));
  return parts.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

/**
 * Schema errors as sentences naming their fields (at most ten), for the person who wrote the document; `data`, the
 * document itself, lets a sentence quote the offending value.
 */
export function describeErrors(errors: readonly ErrorObject[], root: Record<string, unknown>, data?: unknown): string {
  const problems = [
    ...new Set(
      errors
        // n.b. a propertyNames failure comes with a bare `not` error for the same key, and a oneOf failure with one
        // error per branch: their own error says it better.
        .filter(
          (e) =>
            !(e.keyword === 'not' && e.schemaPath.includes('/propertyNames/')) && !e.schemaPath.includes('/oneOf/'),
        )
        .map((e) => describeError(e, root, data)),
    ),
  ];
  const more = problems.length > MAX_PROBLEMS ? `; and ${problems.length - MAX_PROBLEMS} more problems` : '';
  return problems.slice(0, MAX_PROBLEMS).join('; ') + more;
}

/** One schema error as a sentence that names the field, for the person who wrote the message. */
function describeError(error: ErrorObject, root: Record<string, unknown>, data: unknown): string {
  const field = fieldPath(error.instancePath);
  const value = () => quoteValue(valueAt(data, error.instancePath));
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${fieldPath(error.instancePath, String(params.missingProperty))} is required`;
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((schemaAt(root, error)?.properties as object | undefined) ?? {});
      const sameButCase = allowed.find((k) => k.toLowerCase() === key.toLowerCase());
      const unknown = `${fieldPath(error.instancePath, key)} is not a known field`;
      if (sameButCase) return `${unknown}: keys are capitalized, write "${sameButCase}"`;
      return `${unknown} (allowed${field ? ` in ${field}` : ''}: ${allowed.join(', ')})`;
    }
    case 'type':
      return `${field} must be ${article(String(params.type))}`;
    case 'enum':
      return `${field} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${field} must be ${JSON.stringify(params.allowedValue)}`;
    case 'minLength':
      return `${field} must not be empty`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${field} must be ${String(params.comparison)} ${String(params.limit)}`;
    case 'maxLength':
      return `${field} must be at most ${String(params.limit)} characters long`;
    case 'oneOf': {
      const description = schemaAt(root, error)?.description;
      return `${field} is not valid${typeof description === 'string' ? `: ${description.split('.')[0]}` : ''}`;
    }
    case 'uniqueItems':
      return `${field} must not repeat an item`;
    case 'pattern':
      if (/\.Env\[\d+\]$/.test(field)) return `${field} must look like KEY=value`;
      if (field === 'Container' || field === 'Options.Name') {
        const what = field === 'Container' ? 'a container name, id or id prefix' : 'a container name';
        return `${field} ${value()} is not ${what} (letters, digits, "_", "." and "-", starting with a letter or digit)`;
      }
      if (field === 'Image')
        return `Image ${value()} is not an image reference ([registry/]repository[:tag][@digest], repository in lowercase)`;
      return `${field} ${value()} must match ${String(params.pattern)}`;
    case 'propertyNames':
      return `${field} key "${quote(String(params.propertyName))}" is reserved for the worker`;
    default:
      return `${field || 'the message'} ${error.message ?? 'is invalid'}`;
  }
}

/** The value at a JSON pointer (`/Options/Name`) in the document, if there is one. */
function valueAt(data: unknown, pointer: string): unknown {
  let node = data;
  for (const part of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

/** A value from the message as JSON, shortened so a huge value cannot make a huge error message. */
function quoteValue(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > MAX_QUOTED ? `${json.slice(0, MAX_QUOTED)}…` : json;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return article(typeof value);
}
