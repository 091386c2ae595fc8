import type { Engine } from '../engine.js';
import type { Candidate, Strategy, StrategyName } from './strategy.js';

export { STRATEGIES, type Candidate, type Strategy, type StrategyName } from './strategy.js';

/** Candidates rotated one further on each call, so equal choices take turns. */
function rotator() {
  let next = 0;
  return <T>(items: readonly T[]): T[] => {
    if (items.length === 0) return [];
    const start = next++ % items.length;
    return [...items.slice(start), ...items.slice(0, start)];
  };
}

/** Each run starts one engine further on. */
export function roundRobin(): Strategy {
  const rotate = rotator();
  return { name: 'round-robin', needsLoad: false, order: (candidates) => rotate(candidates).map((c) => c.engine) };
}

/**
 * The engine with the fewest docker-dispatch containers running, counted from the engines (so it is right when
 * several workers share them); ties broken round-robin: the tied engine after the one chosen last.
 */
export function leastLoaded(): Strategy {
  let last: string | undefined;
  return {
    name: 'least-loaded',
    needsLoad: true,
    order(candidates) {
      if (candidates.length === 0) return [];
      const position = new Map(candidates.map((c, i) => [c.engine.id, i]));
      // n.b. Array.prototype.sort is stable: within a tie the pool order stands.
      const sorted = [...candidates].sort((x, y) => x.running - y.running);
      const tied = sorted.filter((c) => c.running === sorted[0]!.running);
      const lastPosition = last === undefined ? -1 : (position.get(last) ?? -1);
      const chosen = tied.find((c) => position.get(c.engine.id)! > lastPosition) ?? tied[0]!;
      last = chosen.engine.id;
      return [chosen.engine, ...sorted.filter((c) => c !== chosen).map((c) => c.engine)];
    },
  };
}

/** A uniformly random order. */
export function random(pick: () => number = Math.random): Strategy {
  return {
    name: 'random',
    needsLoad: false,
    order(candidates) {
      const engines: Engine[] = candidates.map((c) => c.engine);
      for (let i = engines.length - 1; i > 0; i--) {
        const j = Math.floor(pick() * (i + 1));
        [engines[i], engines[j]] = [engines[j]!, engines[i]!];
      }
      return engines;
    },
  };
}

export function createStrategy(name: StrategyName): Strategy {
  return { 'least-loaded': leastLoaded, 'round-robin': roundRobin, random }[name]();
}

export type { Candidate as StrategyCandidate };
