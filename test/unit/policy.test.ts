import { describe, expect, it } from 'vitest';
import { imagePattern, normalizeImage } from '../../src/policy/image-ref.js';
import { Policy, type PolicyConfig } from '../../src/policy/policy.js';
import { formatBytes, parseBytes } from '../../src/policy/sizes.js';

describe('image references', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['team/app', 'docker.io/team/app:latest'],
    ['registry.example.com/team/app:1.2', 'registry.example.com/team/app:1.2'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['busybox@sha256:abc', 'docker.io/library/busybox@sha256:abc'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/team/app:2', 'docker.io/team/app:2'],
    ['docker.io/library/busybox:1', 'docker.io/library/busybox:1'],
    ['localhost/app:1', 'localhost/app:1'],
    [`sha256:${'a'.repeat(64)}`, `sha256:${'a'.repeat(64)}`],
    ['a'.repeat(64), 'a'.repeat(64)],
  ])('%s is %s', (reference, normalized) => {
    expect(normalizeImage(reference)).toBe(normalized);
  });

  it('is the same for a reference already normalized (what engines are handed is a fixed point)', () => {
    for (const reference of ['busybox', 'team/app:1', 'docker.io/busybox', '127.0.0.1:5000/x/y@sha256:abc']) {
      expect(normalizeImage(normalizeImage(reference))).toBe(normalizeImage(reference));
    }
  });

  it.each([
    ['busybox', 'busybox', true],
    ['busybox', 'busybox:1.36', false],
    ['busybox:*', 'busybox:1.36', true],
    ['registry.example.com/team/*', 'registry.example.com/team/app:1.2', true],
    ['registry.example.com/team/*', 'registry.example.com/team/sub/app:1', false],
    ['registry.example.com/**', 'registry.example.com/team/sub/app:1', true],
    ['registry.example.com/**', 'registry.evil.com/x:1', false],
    ['*@sha256:abc', 'busybox@sha256:abc', true],
    ['*@sha256:abc', 'busybox@sha256:def', false],
    ['busybox*', 'busybox:1', true],
    ['docker.io/library/alpine:3.?', 'alpine:3.9', true],
    ['busybox', 'docker.io/busybox', true],
    ['docker.io/busybox:*', 'busybox:1', true],
    ['docker.io/**', 'team/app:1', true],
    ['docker.io/**', 'busybox', true],
    ['**', 'team/app:1', false],
  ])('pattern %s allows %s: %s', (pattern, image, allowed) => {
    expect(imagePattern(pattern).test(normalizeImage(image))).toBe(allowed);
  });
});

describe('sizes', () => {
  it.each([
    [1024, 1024],
    ['512m', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5g', 1.5 * 1024 ** 3],
    ['64k', 65536],
    ['100', 100],
    ['12x', undefined],
    [0, undefined],
  ])('%s is %s bytes', (value, bytes) => {
    expect(parseBytes(value)).toBe(bytes);
  });

  it('formats round sizes', () => {
    expect([formatBytes(512 * 1024 ** 2), formatBytes(1024 ** 3), formatBytes(1000)]).toEqual(['512m', '1g', '1000b']);
  });
});

describe('Policy', () => {
  const base: PolicyConfig = {
    allowImages: [],
    defaults: {},
    maxima: {},
    allowUserOverride: false,
    readOnly: false,
    capDropAll: false,
  };
  const run = (options: Record<string, unknown> = {}, image = 'busybox') => ({
    Dockercmd: 'run' as const,
    Image: image,
    Options: options,
  });

  it('always hardens: not privileged, no-new-privileges, no published ports, private IPC', () => {
    expect(new Policy(base).containerSettings(run()).HostConfig).toEqual({
      Privileged: false,
      SecurityOpt: ['no-new-privileges'],
      PublishAllPorts: false,
      IpcMode: 'private',
    });
  });

  it('refuses images no rule allows, naming the image', () => {
    const policy = new Policy({ ...base, allowImages: ['busybox:*'] });
    expect(() => policy.containerSettings(run({}, 'alpine'))).toThrow(
      /image alpine \(docker.io\/library\/alpine:latest\) is not allowed/,
    );
    expect(() => policy.containerSettings(run({}, 'busybox:1'))).not.toThrow();
  });

  it('applies defaults, honours requests within the maxima, refuses above them naming the limit', () => {
    const policy = new Policy({
      ...base,
      defaults: { memoryBytes: 64 * 1024 ** 2, cpus: 0.5, pidsLimit: 50 },
      maxima: { memoryBytes: 1024 ** 3, cpus: 2, pidsLimit: 100 },
    });
    expect(policy.containerSettings(run()).HostConfig).toMatchObject({
      Memory: 64 * 1024 ** 2,
      MemorySwap: 64 * 1024 ** 2,
      NanoCpus: 5e8,
      PidsLimit: 50,
    });
    expect(policy.containerSettings(run({ Memory: '512m', Cpus: 1.5, PidsLimit: 80 })).HostConfig).toMatchObject({
      Memory: 512 * 1024 ** 2,
      NanoCpus: 1.5e9,
      PidsLimit: 80,
    });
    expect(() => policy.containerSettings(run({ Memory: '2g' }))).toThrow(
      "Options.Memory 2g is above this worker's --max-memory 1g",
    );
    expect(() => policy.containerSettings(run({ Cpus: 3 }))).toThrow('--max-cpus 2');
    expect(() => policy.containerSettings(run({ PidsLimit: 101 }))).toThrow('--max-pids-limit 100');
  });

  it('a maximum without a default bounds a message that asks for nothing: it gets the maximum, not unlimited', () => {
    const policy = new Policy({ ...base, maxima: { memoryBytes: 1024 ** 3, cpus: 2, pidsLimit: 100 } });
    expect(policy.containerSettings(run()).HostConfig).toMatchObject({
      Memory: 1024 ** 3,
      MemorySwap: 1024 ** 3,
      NanoCpus: 2e9,
      PidsLimit: 100,
    });
    expect(policy.containerSettings(run({ Memory: '128m' })).HostConfig).toMatchObject({
      Memory: 128 * 1024 ** 2,
      NanoCpus: 2e9,
    });
  });

  it('lets a message choose the user only with --allow-user-override', () => {
    expect(() => new Policy({ ...base, user: '1000' }).containerSettings(run({ User: '0' }))).toThrow(
      /Options.User is not allowed/,
    );
    expect(new Policy({ ...base, user: '1000' }).containerSettings(run()).User).toBe('1000');
    expect(
      new Policy({ ...base, user: '1000', allowUserOverride: true }).containerSettings(run({ User: '0' })).User,
    ).toBe('0');
  });

  it('read-only root with a tmpfs on /tmp, and every capability dropped, when the operator says so', () => {
    expect(
      new Policy({ ...base, readOnly: true, capDropAll: true, networkMode: 'none' }).containerSettings(run())
        .HostConfig,
    ).toMatchObject({
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=64m' },
      CapDrop: ['ALL'],
      NetworkMode: 'none',
    });
  });
});
