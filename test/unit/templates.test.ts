import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyTemplate, loadTemplates } from '../../src/messages/templates.js';
import { scratchDir } from '../support/scratch.js';

const templates = new Map([
  ['web', { Image: 'nginx', Cmd: ['serve'], Options: { Remove: true, Env: ['A=1'], Labels: { t: '1' } } }],
]);

describe('applyTemplate', () => {
  it("merges the template in, the message's own fields winning", () => {
    expect(applyTemplate({ Dockercmd: 'run', Template: 'web', Cmd: ['own'] }, templates)).toEqual({
      Dockercmd: 'run',
      Image: 'nginx',
      Cmd: ['own'],
      Options: { Remove: true, Env: ['A=1'], Labels: { t: '1' } },
    });
  });

  it('merges Options key by key, the message winning for each key', () => {
    const merged = applyTemplate(
      { Dockercmd: 'run', Template: 'web', Options: { Name: 'x', Env: ['B=2'] } },
      templates,
    );
    expect(merged.Options).toEqual({ Remove: true, Env: ['B=2'], Labels: { t: '1' }, Name: 'x' });
  });

  it('leaves messages without Template, and other commands, as they are', () => {
    const run = { Dockercmd: 'run', Image: 'x' };
    expect(applyTemplate(run, templates)).toBe(run);
    const stop = { Dockercmd: 'stop', Container: 'x', Template: 'web' };
    expect(applyTemplate(stop, templates)).toBe(stop);
  });

  it('refuses an unknown template as InvalidMessage naming it and the known ones', () => {
    expect(() => applyTemplate({ Dockercmd: 'run', Template: 'nope' }, templates)).toThrow(
      /Template "nope" is not a known template \(known: web\)/,
    );
    expect(() => applyTemplate({ Dockercmd: 'run', Template: 'nope' }, new Map())).toThrow(/no templates/);
  });
});

describe('loadTemplates', () => {
  it('reads <name>.json files as templates named for their file', () => {
    const dir = scratchDir('dd-templates-');
    writeFileSync(join(dir, 'a.json'), '{"Image":"x"}');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    expect([...loadTemplates(dir).keys()]).toEqual(['a']);
  });

  it('refuses a directory that cannot be read, a file that is not a JSON object, or a template for another command', () => {
    expect(() => loadTemplates('/no/such/dir')).toThrow(/cannot read the --templates directory/);
    const dir = scratchDir('dd-templates-');
    writeFileSync(join(dir, 'bad.json'), '[1]');
    expect(() => loadTemplates(dir)).toThrow(/bad.json must be a JSON object/);
    writeFileSync(join(dir, 'bad.json'), '{"Dockercmd":"stop"}');
    expect(() => loadTemplates(dir)).toThrow(/Dockercmd may only be "run"/);
  });
});
