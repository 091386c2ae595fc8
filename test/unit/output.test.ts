import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_BYTES } from '../../src/output/line-splitter.js';
import { createOutput, textResultLine } from '../../src/output/output.js';

describe('LineSplitter', () => {
  const split = (chunks: Buffer[], end = true) => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    for (const c of chunks) splitter.write(c);
    if (end) splitter.end();
    return lines;
  };

  it('cuts lines across chunk boundaries and keeps a last line without newline', () => {
    expect(split([Buffer.from('hel'), Buffer.from('lo\nwor'), Buffer.from('ld\r\n\nlast')])).toEqual([
      'hello',
      'world',
      '',
      'last',
    ]);
  });

  it('does not garble a UTF-8 character split between chunks', () => {
    const bytes = Buffer.from('héllo\n');
    expect(split([bytes.subarray(0, 2), bytes.subarray(2)])).toEqual(['héllo']);
  });

  it('holds a partial line until end()', () => {
    expect(split([Buffer.from('no newline yet')], false)).toEqual([]);
  });

  it('prints an endless line in bounded pieces', () => {
    const lines = split([Buffer.alloc(MAX_LINE_BYTES * 2 + 10, 'x')]);
    expect(lines.map((l) => l.length)).toEqual([MAX_LINE_BYTES * 2 + 10]);
    const many = split(Array.from({ length: 3 }, () => Buffer.alloc(MAX_LINE_BYTES, 'y')));
    expect(many).toHaveLength(3);
  });
});

describe('text output', () => {
  const source = { messageId: 'm1', host: 'a', container: 'hello' };

  it('prefixes each line with the container name, as docker compose does', () => {
    let out = '';
    const sink = createOutput('text', (t) => (out += t)).stream(source, 'stdout');
    sink.write(Buffer.from('hello world!\nsecond'));
    sink.end();
    expect(out).toBe('hello | hello world!\nhello | second\n');
  });

  it('prints one result line per message', () => {
    const ok = {
      Dockercmd: 'run',
      Status: 'ok',
      MessageId: 'm',
      Host: 'a',
      Container: { Id: 'f'.repeat(64), Name: 'hello' },
      ExitCode: 0,
    } as const;
    expect(textResultLine(ok, 1234)).toBe('ok run hello on a: exited with code 0 in 1.23 s\n');
    expect(textResultLine({ ...ok, ExitCode: undefined }, 50)).toBe('ok run hello on a: started in 0.05 s\n');
    expect(
      textResultLine({ Dockercmd: 'stop', Status: 'ok', MessageId: 'm', Host: 'b', Container: { Id: 'abc' } }, 10),
    ).toBe('ok stop abc on b: stopped in 0.01 s\n');
    expect(
      textResultLine(
        {
          Status: 'error',
          MessageId: 'm9',
          Error: { Code: 'InvalidJson', Message: 'message body is not valid JSON: x' },
        },
        1,
      ),
    ).toBe('error (no command): InvalidJson: message body is not valid JSON: x (message m9)\n');
  });
});

describe('json output', () => {
  it('prints one JSON object per line: output lines, then the result without the collected output', () => {
    let out = '';
    const output = createOutput('json', (t) => (out += t));
    const sink = output.stream({ messageId: 'm1', host: 'a', container: 'hello' }, 'stderr');
    sink.write(Buffer.from('oops\n'));
    output.result({ Dockercmd: 'run', Status: 'ok', MessageId: 'm1', ExitCode: 1, Stdout: '', Stderr: 'oops\n' }, 12.4);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { Type: 'Output', MessageId: 'm1', Host: 'a', Container: 'hello', Stream: 'stderr', Line: 'oops' },
      { Type: 'Result', Dockercmd: 'run', Status: 'ok', MessageId: 'm1', ExitCode: 1, DurationMs: 12 },
    ]);
  });
});
