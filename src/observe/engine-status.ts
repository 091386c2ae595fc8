/** What the HTTP endpoints know about one engine of the pool. */
export interface EngineStatus {
  /** The engine's id, as in replies and logs. */
  id: string;
  /** Not quarantined: it answers its health checks. */
  healthy: boolean;
  /**
   * Containers created by docker-dispatch (any worker, any queue) running on it now, from its inventory; null while
   * the engine is quarantined or its inventory not synced (the count may be stale), as in the hosts reply.
   */
  running: number | null;
  /** Its inventory follows it (listed, event stream held); `running` is then current. */
  synced: boolean;
  /** What serves its API (`docker`, `podman`), once it has answered `/version`. */
  vendor?: 'docker' | 'podman';
  /** Its own version (`20.10.24`, `4.3.1`), once it has answered `/version`. */
  version?: string;
  /** The Engine API version it speaks (`1.41`), once it has answered `/version`. */
  apiVersion?: string;
  /** Most containers it should run at once, when the pool has a limit for it. */
  capacity?: number;
  /** Why it is not healthy, or its inventory not synced, in a few words. */
  reason?: string;
  /** Since when its inventory has not been synced (ms since the epoch). */
  unsyncedSince?: number;
}

/** Where engine health comes from: the engine pool (see PoolEngineStatus). */
export interface EngineStatusSource {
  engines(): EngineStatus[];
}
