import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/docker/engine.js';
import { leastLoaded, random, roundRobin, type Candidate } from '../../src/docker/strategies/index.js';

const engine = (id: string) => ({ id }) as Engine;
const [a, b, c] = [engine('a'), engine('b'), engine('c')];
const ids = (engines: Engine[]) => engines.map((e) => e.id).join('');
const load = (...running: number[]): Candidate[] => [a, b, c].map((e, i) => ({ engine: e, running: running[i] ?? 0 }));

describe('strategies', () => {
  it('round-robin starts one engine further on each time, keeping the rest for fail-over', () => {
    const s = roundRobin();
    expect([ids(s.order(load())), ids(s.order(load())), ids(s.order(load())), ids(s.order(load()))]).toEqual([
      'abc',
      'bca',
      'cab',
      'abc',
    ]);
  });

  it('least-loaded puts the engine with the fewest running containers first, then the next fewest', () => {
    expect(ids(leastLoaded().order(load(5, 1, 3)))).toBe('bca');
  });

  it('least-loaded breaks ties round-robin', () => {
    const s = leastLoaded();
    const firsts = Array.from({ length: 4 }, () => s.order(load(2, 0, 0))[0]!.id);
    expect(firsts).toEqual(['b', 'c', 'b', 'c']);
  });

  it('random orders by its random source, every engine once', () => {
    const values = [0.9, 0.1];
    const s = random(() => values.shift() ?? 0);
    const order = ids(s.order(load()));
    expect(order.split('').sort().join('')).toBe('abc');
    expect(order).toBe('bac');
  });

  it('only least-loaded needs the running counts', () => {
    expect([leastLoaded().needsLoad, roundRobin().needsLoad, random().needsLoad]).toEqual([true, false, false]);
  });
});
