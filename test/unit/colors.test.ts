import { describe, expect, it } from 'vitest';
import { colorCodeFor, useColor } from '../../src/output/colors.js';
import { createOutput, textResultLine } from '../../src/output/output.js';

const ESC = '\u001b[';

describe('color choice', () => {
  it('colors only a terminal, and only when NO_COLOR is unset or empty', () => {
    expect(useColor(true, {})).toBe(true);
    expect(useColor(true, { NO_COLOR: '' })).toBe(true);
    expect(useColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(true, { NO_COLOR: '0' })).toBe(false);
    expect(useColor(false, {})).toBe(false);
    expect(useColor(undefined, {})).toBe(false);
  });

  it('gives a container name the same color every time, and different names different colors', () => {
    expect(colorCodeFor('web')).toBe(colorCodeFor('web'));
    const names = Array.from({ length: 40 }, (_, i) => `job-${i}`);
    expect(new Set(names.map(colorCodeFor)).size).toBeGreaterThan(4);
    // Never red: red means an error.
    expect(names.map(colorCodeFor)).not.toContain(31);
  });
});

describe('colored text output', () => {
  it('paints the "name |" prefix in the name\'s color', () => {
    let out = '';
    const sink = createOutput('text', (t) => (out += t), { color: true }).stream(
      { messageId: 'm', host: 'a', container: 'web' },
      'stdout',
    );
    sink.write(Buffer.from('hello\n'));
    expect(out).toBe(`${ESC}${colorCodeFor('web')}mweb |${ESC}0m hello\n`);
  });

  it('paints the status green or red, and stays plain without color', () => {
    const ok = {
      Dockercmd: 'run',
      Status: 'ok',
      MessageId: 'm',
      Host: 'a',
      Container: { Id: 'x', Name: 'web' },
      ExitCode: 0,
    } as const;
    expect(textResultLine(ok, 10, true)).toContain(`${ESC}32mok${ESC}0m`);
    expect(textResultLine({ ...ok, Status: 'error', Error: { Code: 'Timeout', Message: 't' } }, 10, true)).toContain(
      `${ESC}31merror${ESC}0m`,
    );
    expect(textResultLine(ok, 10)).not.toContain(ESC);
    let out = '';
    createOutput('text', (t) => (out += t))
      .stream({ messageId: 'm', host: 'a', container: 'web' }, 'stdout')
      .write(Buffer.from('x\n'));
    expect(out).toBe('web | x\n');
  });

  it('never colors JSON output', () => {
    let out = '';
    const output = createOutput('json', (t) => (out += t), { color: true });
    output.stream({ messageId: 'm', host: 'a', container: 'web' }, 'stdout').write(Buffer.from('x\n'));
    output.result({ Dockercmd: 'run', Status: 'ok', MessageId: 'm' }, 1);
    expect(out).not.toContain(ESC);
  });
});
