import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DispatchError } from '../errors.js';

/** Partial run messages by name (the file name without `.json`), from --templates. */
export type Templates = ReadonlyMap<string, Readonly<Record<string, unknown>>>;

export const NO_TEMPLATES: Templates = new Map();

/**
 * Reads every `<name>.json` in `dir`: each a JSON object, a partial run message (no Dockercmd other than run, no
 * Template of its own). A file that cannot be read or is not such an object is a ConfigError naming it. The merged
 * messages are validated against the run schema like any other, so a template's fields are checked when it is used.
 */
export function loadTemplates(dir: string): Templates {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch (err) {
    throw new ConfigError(`cannot read the --templates directory ${dir}: ${(err as Error).message}`);
  }
  const templates = new Map<string, Record<string, unknown>>();
  for (const file of files) {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (err) {
      throw new ConfigError(`template ${join(dir, file)} is not valid JSON: ${(err as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new ConfigError(`template ${join(dir, file)} must be a JSON object (a partial run message)`);
    const fields = value as Record<string, unknown>;
    if (fields.Dockercmd !== undefined && fields.Dockercmd !== 'run')
      throw new ConfigError(`template ${join(dir, file)}: Dockercmd may only be "run"`);
    if (fields.Template !== undefined)
      throw new ConfigError(`template ${join(dir, file)} may not name a Template of its own`);
    templates.set(file.slice(0, -'.json'.length), fields);
  }
  return templates;
}

/**
 * A run message with its `Template` merged in: the message's own fields win, and `Options` merge key by key (the
 * message's keys win). Messages without Template come back as they are; an unknown template is InvalidMessage naming
 * it. The result has no Template field: it is validated as a complete run message.
 */
export function applyTemplate(fields: Record<string, unknown>, templates: Templates): Record<string, unknown> {
  if (fields.Template === undefined || fields.Dockercmd !== 'run') return fields;
  const { Template: name, ...own } = fields;
  if (typeof name !== 'string')
    throw new DispatchError('InvalidMessage', 'Template must be a string naming a template');
  const template = templates.get(name);
  if (!template) {
    const known =
      templates.size === 0
        ? 'this worker has no templates (--templates)'
        : `known: ${[...templates.keys()].join(', ')}`;
    throw new DispatchError('InvalidMessage', `Template "${name.slice(0, 100)}" is not a known template (${known})`);
  }
  const merged: Record<string, unknown> = { ...template, ...own };
  if (isObject(template.Options) && isObject(own.Options)) merged.Options = { ...template.Options, ...own.Options };
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
