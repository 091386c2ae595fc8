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
 * several workers share them); ties broken round-robin.
 */
export function leastLoaded(): Strategy {
  const rotate = rotator();
  return {
    name: 'least-loaded',
    needsLoad: true,
    // n.b. Array.prototype.sort is stable: within a tie the rotated order stands.
    order: (candidates) => rotate(candidates).sort((x, y) => x.running - y.running).map((c) => c.engine),
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
