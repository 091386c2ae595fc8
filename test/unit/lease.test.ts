import { describe, expect, it } from 'vitest';
import { withTimeout } from '../../src/deadline.js';
import { CancelledError, HandedOverError, Lease } from '../../src/delivery/lease.js';

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

describe('Lease: cancels', () => {
  it('a cancel before anything runs aborts the job', () => {
    const lease = new Lease();
    expect(lease.cancel({ timeSeconds: 3 })).toBe(true);
    expect(lease.cancelled).toEqual({ timeSeconds: 3 });
    expect(lease.signal.aborted).toBe(true);
    expect(lease.signal.reason).toBeInstanceOf(CancelledError);
  });

  it('a cancel while a container runs stops it instead, and the job goes on to collect its exit code', () => {
    const lease = new Lease();
    const stops: number[] = [];
    const release = lease.whileRunning(({ timeSeconds }) => stops.push(timeSeconds));
    expect(lease.cancel({ timeSeconds: 5 })).toBe(true);
    expect(stops).toEqual([5]);
    expect(lease.signal.aborted).toBe(false);
    release();
    expect(lease.cancel({ timeSeconds: 1 })).toBe(false); // once only
  });

  it('a job cancelled before its delivery came stops what it adopts at once, and is not aborted', () => {
    const lease = new Lease({ timeSeconds: 2 });
    expect(lease.signal.aborted).toBe(false);
    const stops: number[] = [];
    lease.whileRunning(({ timeSeconds }) => stops.push(timeSeconds));
    expect(stops).toEqual([2]);
  });

  it('a job that committed, or was handed over, is no longer cancelled', () => {
    const committed = new Lease();
    committed.commit();
    expect(committed.cancel({ timeSeconds: 1 })).toBe(false);
    expect(committed.cancelled).toBeUndefined();
    const handedOver = new Lease();
    handedOver.handOver();
    expect(handedOver.cancel({ timeSeconds: 1 })).toBe(false);
  });
});

describe("a lease's signal as a call's deadline (withTimeout)", () => {
  it('aborts the call when the job is handed over or cancelled meanwhile', async () => {
    const lease = new Lease();
    const call = withTimeout(
      10_000,
      (signal) => new Promise((_, reject) => (signal.onabort = () => reject(signal.reason as Error))),
      lease.signal,
    );
    lease.cancel({ timeSeconds: 1 });
    await expect(call).rejects.toBeInstanceOf(CancelledError);
  });
});
