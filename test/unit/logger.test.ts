import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { addSecret } from '../../src/redact.js';

describe('logs', () => {
  it('are JSON lines by default (stderr is not a terminal)', () => {
    const lines: string[] = [];
    createLogger('info', (l) => lines.push(l))
      .child({ messageId: 'm1', dockercmd: 'run' })
      .info({ host: 'a' }, 'done');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 30,
      name: 'docker-dispatch',
      messageId: 'm1',
      dockercmd: 'run',
      host: 'a',
      msg: 'done',
    });
  });

  it('are pretty on a terminal, with the same fields', () => {
    const lines: string[] = [];
    createLogger('info', (l) => lines.push(l), { pretty: true })
      .child({ messageId: 'm1' })
      .warn({ host: 'b' }, 'engine unreachable');
    const text = lines.join('');
    expect(() => JSON.parse(text) as unknown).toThrow();
    expect(text).toContain('engine unreachable');
    expect(text).toContain('messageId');
    expect(text).toContain('m1');
    expect(text).toContain('WARN');
  });

  it('keep secrets out when pretty too, even where JSON would have escaped them', () => {
    addSecret('pa"ss\\word-pretty');
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l), { pretty: true });
    log.error({ err: new Error('login pa"ss\\word-pretty refused') }, 'cannot connect with pa"ss\\word-pretty');
    const text = lines.join('');
    expect(text).toContain('***');
    expect(text).not.toContain('word-pretty');
  });

  it('honour the level', () => {
    const lines: string[] = [];
    const log = createLogger('warn', (l) => lines.push(l), { pretty: true });
    log.info('quiet');
    log.debug('quieter');
    expect(lines).toEqual([]);
  });
});
