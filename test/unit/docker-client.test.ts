import { describe, expect, it } from 'vitest';
import { createdNanos, parseRepositoryTag } from '../../src/docker/docker-client.js';

describe('parseRepositoryTag (the pull reference, as dockerode splits it)', () => {
  it.each([
    ['busybox', { repository: 'busybox' }],
    ['busybox:1.36', { repository: 'busybox', tag: '1.36' }],
    ['127.0.0.1:5000/team/app', { repository: '127.0.0.1:5000/team/app' }],
    ['127.0.0.1:5000/team/app:2', { repository: '127.0.0.1:5000/team/app', tag: '2' }],
    ['app@sha256:0123abcd', { repository: 'app', tag: 'sha256:0123abcd' }],
  ])('%s', (input, expected) => {
    expect(parseRepositoryTag(input)).toEqual(expected);
  });
});

describe('createdNanos (the engine creation time, to order containers created in the same second)', () => {
  it('reads nanoseconds, short fractions and none, and offsets', () => {
    expect(createdNanos('2026-12-02T17:36:06.123456789Z')).toBe(1796232966123456789n);
    expect(createdNanos('2026-12-02T17:36:06.1Z')).toBe(1796232966100000000n);
    expect(createdNanos('2026-12-02T17:36:06Z')).toBe(1796232966000000000n);
    expect(createdNanos('2026-12-02T18:36:06.5+01:00')).toBe(1796232966500000000n);
    expect(createdNanos('2026-12-02T17:36:06.000000002Z') > createdNanos('2026-12-02T17:36:06.000000001Z')).toBe(true);
  });
});
