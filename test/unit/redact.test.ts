import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { addSecret, redact, redactUrl } from '../../src/redact.js';

describe('redaction', () => {
  it('hides the password of a URL', () => {
    expect(redactUrl('amqp://guest:p%40ss@rabbit:5672/vh')).toBe('amqp://guest:***@rabbit:5672/vh');
    expect(redactUrl('amqp://rabbit')).toBe('amqp://rabbit');
  });

  it('hides a registered secret, raw and URL-decoded, wherever it appears', () => {
    addSecret('t0p%2Fsecret');
    expect(redact('failed: amqp://u:t0p%2Fsecret@h and t0p/secret')).toBe('failed: amqp://u:***@h and ***');
  });

  it('keeps secrets out of every log line, whatever the logged object holds', () => {
    addSecret('hunter2-log');
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    log.error({ err: new Error('connect to amqp://u:hunter2-log@h failed') }, 'with hunter2-log inside');
    expect(lines.join('')).not.toContain('hunter2-log');
    expect(lines.join('')).toContain('***');
  });
});
