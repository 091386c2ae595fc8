import { describe, expect, it } from 'vitest';
import { OutcomeStore, type Outcome } from '../../src/delivery/outcomes.js';

const outcome = (id: string): Outcome => ({
  messageId: id,
  dockercmd: 'run',
  result: {},
  error: undefined,
  durationMs: 1,
});

describe('OutcomeStore', () => {
  it('runs the work once for deliveries of the same message that overlap, and tells the first how many joined', async () => {
    const store = new OutcomeStore();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const work = async () => {
      runs++;
      await gate;
      return outcome('m');
    };
    const first = store.once('m', work);
    const second = store.once('m', work);
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(runs).toBe(1);
    expect(a).toMatchObject({ joined: false, waiters: 1 });
    expect(b).toMatchObject({ joined: true });
    expect(b.outcome).toBe(a.outcome);
  });

  it('runs again once the first run is over', async () => {
    const store = new OutcomeStore();
    let runs = 0;
    await store.once('m', () => Promise.resolve((runs++, outcome('m'))));
    await store.once('m', () => Promise.resolve((runs++, outcome('m'))));
    expect(runs).toBe(2);
  });

  it('keeps an outcome until it is taken, once', () => {
    const store = new OutcomeStore();
    store.keep('m', outcome('m'));
    expect(store.take('m')?.messageId).toBe('m');
    expect(store.take('m')).toBeUndefined();
  });

  it('keeps a bounded number of outcomes, dropping the oldest', () => {
    const store = new OutcomeStore(2);
    for (const id of ['a', 'b', 'c']) store.keep(id, outcome(id));
    expect(store.keptCount).toBe(2);
    expect(store.take('a')).toBeUndefined();
    expect(store.take('c')).toBeDefined();
  });

  it('forgets outcomes older than its age limit', async () => {
    const store = new OutcomeStore(10, 20);
    store.keep('old', outcome('old'));
    await new Promise((r) => setTimeout(r, 40));
    expect(store.take('old')).toBeUndefined();
  });
});
