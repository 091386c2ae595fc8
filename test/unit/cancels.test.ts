import { describe, expect, it } from 'vitest';
import { CancelRegistry } from '../../src/delivery/cancels.js';

describe('CancelRegistry', () => {
  it('holds a cancel for its retention, then forgets it', () => {
    let now = 1_000_000;
    const registry = new CancelRegistry(60_000, 10, () => now);
    expect(registry.add({ messageId: 'm1', timeSeconds: 10, at: now })).toBe(true);
    expect(registry.get('m1')).toEqual({ messageId: 'm1', timeSeconds: 10, at: 1_000_000 });
    now += 59_999;
    expect(registry.get('m1')).toBeDefined();
    now += 2;
    expect(registry.get('m1')).toBeUndefined();
  });

  it('refuses a cancel older than its retention (read back from the stream) and a repeat', () => {
    const now = 1_000_000;
    const registry = new CancelRegistry(60_000, 10, () => now);
    expect(registry.add({ messageId: 'old', timeSeconds: 10, at: now - 60_001 })).toBe(false);
    expect(registry.add({ messageId: 'm', timeSeconds: 10, at: now })).toBe(true);
    expect(registry.add({ messageId: 'm', timeSeconds: 3, at: now })).toBe(false);
    expect(registry.get('m')?.timeSeconds).toBe(10);
  });

  it('keeps at most its bound, forgetting the oldest first', () => {
    const registry = new CancelRegistry(60_000, 2, () => 0);
    for (const id of ['a', 'b', 'c']) registry.add({ messageId: id, timeSeconds: 1, at: 0 });
    expect(registry.size).toBe(2);
    expect(registry.get('a')).toBeUndefined();
    expect(registry.get('c')).toBeDefined();
  });
});
