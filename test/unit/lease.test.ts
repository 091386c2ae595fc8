import { describe, expect, it } from 'vitest';
import { HandedOverError, Lease } from '../../src/delivery/lease.js';

describe('Lease', () => {
  it('hands a job over by aborting its work', () => {
    const lease = new Lease();
    expect(lease.handOver()).toBe(true);
    expect(lease.handedOver).toBe(true);
    expect(lease.signal.aborted).toBe(true);
    expect(lease.signal.reason).toBeInstanceOf(HandedOverError);
  });

  it('never hands over a job that committed (say, about to remove its finished container)', () => {
    const lease = new Lease();
    expect(lease.commit()).toBe(true);
    expect(lease.handOver()).toBe(false);
    expect(lease.signal.aborted).toBe(false);
  });

  it('a job handed over cannot commit, and is handed over once', () => {
    const lease = new Lease();
    lease.handOver();
    expect(lease.commit()).toBe(false);
    expect(lease.handOver()).toBe(false);
  });
});
