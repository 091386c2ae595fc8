/** What the HTTP endpoints know about one engine of the pool. */
export interface EngineStatus {
  /** The engine's id, as in replies and logs. */
  id: string;
  /** Answered its last health check. */
  healthy: boolean;
  /** Containers created by docker-dispatch (any worker, any queue) that are running on it now. */
  running: number;
  /** Most containers it should run at once, when the pool has a limit for it. */
  capacity?: number;
  /** Why it is not healthy, in a few words. */
  reason?: string;
  /** When it was last checked (ms since the epoch); absent before the first check. */
  checkedAt?: number;
}

/**
 * Where engine health comes from. Today a poller of its own (engine-poller.ts); the engine pool's health checks can
 * take its place without the HTTP side changing.
 */
export interface EngineStatusSource {
  engines(): EngineStatus[];
}
