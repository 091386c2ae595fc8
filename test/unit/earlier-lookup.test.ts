import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { EnginePool } from '../../src/docker/pool.js';
import { ScriptedEngine } from '../support/scripted-engine.js';

// What a first delivery's look-up for an earlier container asks of engines its inventories cannot answer for, and what
// it says about them: against scripted engines. That it calls no engine but the chosen one is tested against real
// engines (test/integration/engine-calls.test.ts).

function poolOf(healthy: ScriptedEngine, quarantined: ScriptedEngine) {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const monitor = { intervalMs: 60_000, quarantineAfter: 3, maxBackoffMs: 60_000 };
  // n.b. not started: the healthy engine's inventory stays unsynced, and nothing is pinged.
  const pool = new EnginePool([healthy.asEngine, quarantined.asEngine], { monitor, log }, (e) => e.id === healthy.id);
  const warnings = (text: string) => lines.filter((l) => l.level === 40 && String(l.msg).includes(text));
  const debug = (text: string) => lines.filter((l) => l.level === 20 && String(l.msg).includes(text));
  return { pool, log, warnings, debug };
}

describe('the look-up of an earlier container for a first delivery', () => {
  let pool: EnginePool | undefined;
  afterEach(() => pool?.stop());

  it('skips a quarantined engine, and lists an unsynced one, with a warning for each said once, not per message', async () => {
    const a = new ScriptedEngine('a');
    const c = new ScriptedEngine('c');
    const made = poolOf(a, c);
    pool = made.pool;
    for (let i = 0; i < 3; i++) {
      const found = await pool.findEarlier(`m${i}`, 'jobs', { authoritative: false, timeoutMs: 1000, log: made.log });
      expect(found).toBeUndefined();
    }
    expect(a.lists).toBe(3);
    expect(c.lists).toBe(0);
    expect(made.warnings("engine a's inventory is not synced: first deliveries list it")).toHaveLength(1);
    expect(made.warnings('engine c is quarantined: first deliveries do not look')).toHaveLength(1);
    expect(made.debug("engine a's inventory is not synced")).toHaveLength(2);
    expect(made.debug('engine c is quarantined')).toHaveLength(2);
  });

  it('still lists a quarantined engine for a message seen before: it may hold the container', async () => {
    const a = new ScriptedEngine('a');
    const c = new ScriptedEngine('c');
    const made = poolOf(a, c);
    pool = made.pool;
    await pool.findEarlier('m', 'jobs', { authoritative: true, timeoutMs: 1000, log: made.log });
    expect([a.lists, c.lists]).toEqual([1, 1]);
  });
});
