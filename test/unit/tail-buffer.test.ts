import { describe, expect, it } from 'vitest';
import { TailBuffer } from '../../src/output/tail-buffer.js';

describe('TailBuffer', () => {
  it('keeps everything under the cap', () => {
    const t = new TailBuffer(10);
    t.write(Buffer.from('abc'));
    t.write(Buffer.from('def'));
    expect(t.toString()).toBe('abcdef');
    expect(t.truncated).toBe(false);
  });

  it('keeps the last bytes over the cap, across and within chunks', () => {
    const t = new TailBuffer(5);
    t.write(Buffer.from('abc'));
    t.write(Buffer.from('defg'));
    expect(t.toString()).toBe('cdefg');
    t.write(Buffer.from('0123456789'));
    expect(t.toString()).toBe('56789');
    expect(t.truncated).toBe(true);
  });

  it('drops a character cut in half by the truncation instead of garbling it', () => {
    const t = new TailBuffer(4);
    t.write(Buffer.from('xé123')); // é is two bytes: the cut falls inside it
    expect(t.toString()).toBe('123');
  });

  it('holds no more than the cap however much is written', () => {
    const t = new TailBuffer(1024);
    for (let i = 0; i < 10_000; i++) t.write(Buffer.alloc(4096, 'z'));
    expect(Buffer.byteLength(t.toString())).toBe(1024);
  });
});
