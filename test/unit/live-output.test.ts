import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveOutput } from '../../src/delivery/live-output.js';
import type { RunOutput } from '../../src/messages/types.js';

const source = { messageId: 'm', host: 'a', container: 'job' };

describe('LiveOutput (Options.Stream)', () => {
  let sent: RunOutput[];
  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
  });
  afterEach(() => vi.useRealTimers());

  it('publishes each stream at most once per interval, numbering messages from 1 over both streams', () => {
    const live = new LiveOutput('m', (m) => sent.push(m), { intervalMs: 100, maxBytes: 1000 });
    const out = live.sink(source, 'stdout');
    const err = live.sink(source, 'stderr');
    out.write(Buffer.from('a\n'));
    expect(sent).toHaveLength(0); // what a stream writes in one turn of the event loop goes together…
    vi.advanceTimersByTime(0);
    expect(sent).toHaveLength(1); // …and its first batch goes at once
    out.write(Buffer.from('b\n'));
    out.write(Buffer.from('c\n'));
    err.write(Buffer.from('oops\n'));
    vi.advanceTimersByTime(0);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(99);
    expect(sent).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sent.map((m) => [m.Seq, m.Stream, m.Data])).toEqual([
      [1, 'stdout', 'a\n'],
      [2, 'stderr', 'oops\n'],
      [3, 'stdout', 'b\nc\n'],
    ]);
    expect(sent[0]).toMatchObject({ MessageId: 'm', Host: 'a', Container: 'job' });
  });

  it('publishes the end of a stream at once, so it precedes the final reply', () => {
    const live = new LiveOutput('m', (m) => sent.push(m), { intervalMs: 100, maxBytes: 1000 });
    const out = live.sink(source, 'stdout');
    out.write(Buffer.from('1'));
    vi.advanceTimersByTime(0);
    out.write(Buffer.from('2'));
    out.end();
    expect(sent.map((m) => m.Data).join('')).toBe('12');
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(2);
  });

  it('keeps a character split between chunks whole', () => {
    const live = new LiveOutput('m', (m) => sent.push(m), { intervalMs: 100, maxBytes: 1000 });
    const out = live.sink(source, 'stdout');
    const euro = Buffer.from('€'); // 3 bytes
    out.write(euro.subarray(0, 1));
    out.write(euro.subarray(1));
    out.end();
    expect(sent.map((m) => m.Data).join('')).toBe('€');
    expect(sent.every((m) => !m.Data.includes('\uFFFD'))).toBe(true);
  });

  it('bounds a flood: at most maxBytes a message, the newest kept, Skipped counting the rest', () => {
    const live = new LiveOutput('m', (m) => sent.push(m), { intervalMs: 100, maxBytes: 10 });
    const out = live.sink(source, 'stdout');
    out.write(Buffer.from('first'));
    vi.advanceTimersByTime(0);
    for (let i = 0; i < 100; i++) out.write(Buffer.from('0123456789'));
    vi.advanceTimersByTime(100);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toMatchObject({ Seq: 2, Data: '0123456789', Skipped: 990 });
    out.write(Buffer.from('x'));
    vi.advanceTimersByTime(100);
    expect(sent[2]).toEqual({ MessageId: 'm', Seq: 3, Stream: 'stdout', Data: 'x', Host: 'a', Container: 'job' });
  });
});
