import type { Engine } from '../engine.js';

/** An engine that may take a run, with the docker-dispatch containers running (or about to) there. */
export interface Candidate {
  engine: Engine;
  running: number;
}

/** Orders the candidates for a run: the first is tried first, the rest are for fail-over. */
export interface Strategy {
  readonly name: StrategyName;
  order(candidates: readonly Candidate[]): Engine[];
  /** Whether it needs the running counts (they cost a call to each engine). */
  readonly needsLoad: boolean;
}

export const STRATEGIES = ['least-loaded', 'round-robin', 'random'] as const;
export type StrategyName = (typeof STRATEGIES)[number];
