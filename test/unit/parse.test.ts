import { describe, expect, it } from 'vitest';
import { fieldPath, parseMessage } from '../../src/messages/parse.js';
import { invalidFixtures, validFixtures } from '../support/fixtures.js';

describe('parseMessage', () => {
  it.each(validFixtures())('accepts $name', ({ content }) => {
    const result = parseMessage(content);
    expect(result.ok ? undefined : result.error.message).toBeUndefined();
    expect(result.ok && result.message).toEqual(JSON.parse(content.toString()));
  });

  it.each(invalidFixtures())('refuses $name with $code, naming the problem', ({ content, code, mentions }) => {
    const result = parseMessage(content);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(code);
    expect(result.error.disposition).toBe('dead-letter');
    for (const phrase of mentions) expect(result.error.message).toContain(phrase);
  });

  it('reports the command a bad message named, for the reply', () => {
    const result = parseMessage(Buffer.from('{"Dockercmd":"stop"}'));
    expect(result).toMatchObject({ ok: false, dockercmd: 'stop' });
  });

  it('reports every problem of a message at once', () => {
    const result = parseMessage(Buffer.from('{"Dockercmd":"run","Options":{"Remove":1,"Nope":true}}'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toContain('Image is required');
    expect(result.error.message).toContain('Options.Remove must be a boolean');
    expect(result.error.message).toContain('Options.Nope is not a known field');
  });

  it('parses each message on its own: nothing of one message leaks into the next', () => {
    const first = parseMessage(Buffer.from('{"Dockercmd":"run","Image":"a","Options":{"Remove":true,"Name":"x"}}'));
    const second = parseMessage(Buffer.from('{"Dockercmd":"run","Image":"b"}'));
    expect(first.ok && first.message.Dockercmd === 'run' && first.message.Options).toEqual({ Remove: true, Name: 'x' });
    expect(second.ok && second.message).toEqual({ Dockercmd: 'run', Image: 'b' });
  });
});

describe('fieldPath', () => {
  it.each([
    ['', undefined, ''],
    ['', 'Image', 'Image'],
    ['/Options', 'Bogus', 'Options.Bogus'],
    ['/Options/Attach/2', undefined, 'Options.Attach[2]'],
    ['/Options/Labels/a~1b', undefined, 'Options.Labels.a/b'],
  ])('%s + %s → %s', (instancePath, child, expected) => {
    expect(fieldPath(instancePath, child)).toBe(expected);
  });
});

describe('parseMessage limits', () => {
  it('refuses a body over maxBytes before parsing it', () => {
    const result = parseMessage(Buffer.from('{"Dockercmd":"run","Image":"x"}'), { maxBytes: 10 });
    expect(result).toMatchObject({ ok: false, error: { code: 'InvalidMessage' } });
    expect(!result.ok && result.error.message).toContain('31 bytes, more than the 10');
  });

  it('lists at most ten problems, and shortens huge field names', () => {
    const keys = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${i}${'k'.repeat(500)}`, 1]));
    const result = parseMessage(Buffer.from(JSON.stringify({ Dockercmd: 'run', Image: 'x', ...keys })));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toContain('and 40 more problems');
    expect(result.error.message.length).toBeLessThan(3000);
  });

  it('survives very deep nesting', () => {
    const body = `{"Dockercmd":"run","Image":"x","Cmd":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(parseMessage(Buffer.from(body))).toMatchObject({ ok: false, error: { code: 'InvalidMessage' } });
  });
});
