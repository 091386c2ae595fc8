import { describe, expect, it } from 'vitest';
import { Inventory, type ContainerEvent, type ListedContainer } from '../../src/docker/inventory.js';

const S = 1_000_000_000n;
const managed = (messageId: string, queue = 'jobs') => ({
  'docker-dispatch.managed': 'true',
  'docker-dispatch.message-id': messageId,
  'docker-dispatch.queue': queue,
});

function listed(id: string, state: string, createdS: number, messageId = id): ListedContainer {
  return { Id: id, Names: [`/${id}-name`], State: state, Created: createdS, Labels: managed(messageId) };
}

function event(action: string, id: string, extra: Record<string, string> = {}, timeS = 1000): ContainerEvent {
  return {
    Type: 'container',
    Action: action,
    Actor: { ID: id, Attributes: { name: `${id}-name`, ...managed(id), ...extra } },
    time: timeS,
    timeNano: timeS * 1e9,
  };
}

describe('Inventory', () => {
  it('takes what a list says, managed containers only', () => {
    const inventory = new Inventory();
    inventory.replace([
      listed('a', 'running', 100),
      listed('b', 'exited', 100),
      { Id: 'c', State: 'running', Labels: { other: 'x' } },
    ]);
    expect(inventory.size).toBe(2);
    expect(inventory.get('a')).toMatchObject({
      name: 'a-name',
      messageId: 'a',
      queue: 'jobs',
      state: 'running',
      createdNs: 100n * S,
    });
    expect(inventory.running()).toBe(1);
  });

  it('follows a container through create, start, die and destroy', () => {
    const inventory = new Inventory();
    inventory.apply(event('create', 'x'));
    expect(inventory.get('x')).toMatchObject({ state: 'created', name: 'x-name' });
    inventory.apply(event('start', 'x'));
    expect(inventory.running()).toBe(1);
    inventory.apply(event('die', 'x', { exitCode: '0' }));
    expect(inventory.get('x')?.state).toBe('exited');
    inventory.apply(event('destroy', 'x'));
    expect(inventory.get('x')).toBeUndefined();
  });

  it("takes Podman's remove for destroy, and ignores the actions it adds (init, cleanup) and the ones it does not use", () => {
    const inventory = new Inventory();
    for (const action of [
      'create',
      'init',
      'start',
      'attach',
      'exec_create: sh',
      'health_status: healthy',
      'die',
      'cleanup',
    ])
      inventory.apply(event(action, 'p'));
    expect(inventory.get('p')?.state).toBe('exited');
    inventory.apply(event('remove', 'p'));
    expect(inventory.size).toBe(0);
  });

  it('ends in the engine state whatever part of the events the list already reflects (events replayed on top of it)', () => {
    // The truth: x created, started and died; y created and started; z created and destroyed.
    const history = [
      event('create', 'x'),
      event('create', 'y'),
      event('start', 'x'),
      event('create', 'z'),
      event('start', 'y'),
      event('die', 'x'),
      event('destroy', 'z'),
    ];
    const truthAfter = (n: number) => {
      const inventory = new Inventory();
      for (const e of history.slice(0, n)) inventory.apply(e);
      return inventory;
    };
    const snapshot = (inventory: Inventory): ListedContainer[] =>
      ['x', 'y', 'z'].flatMap((id) => {
        const entry = inventory.get(id);
        return entry ? [listed(id, entry.state, 1000)] : [];
      });
    const final = snapshot(truthAfter(history.length));
    // The stream started before the list: a list taken after any prefix of the history, then every event replayed.
    for (let taken = 0; taken <= history.length; taken++) {
      const inventory = new Inventory();
      inventory.replace(snapshot(truthAfter(taken)));
      for (const e of history) inventory.apply(e);
      expect(snapshot(inventory), `list taken after ${taken} events`).toEqual(final);
    }
  });

  it("ignores other types' events and containers docker-dispatch did not create", () => {
    const inventory = new Inventory();
    inventory.apply({ Type: 'image', Action: 'pull', Actor: { ID: 'busybox' } });
    inventory.apply({ Type: 'container', Action: 'create', Actor: { ID: 'q', Attributes: { name: 'q' } } });
    inventory.apply(event('start', 'unknown-started'));
    expect(inventory.size).toBe(0);
  });

  it('counts as load what runs, and what was created in the last minute and is about to start, not older created ones', () => {
    const inventory = new Inventory();
    const now = 10_000n * S;
    inventory.replace([
      listed('old', 'created', 10_000 - 61),
      listed('new', 'created', 10_000 - 5),
      listed('up', 'running', 1),
      listed('done', 'exited', 9_999),
    ]);
    expect(inventory.load(now)).toBe(2);
  });

  it('counts a container this worker just created at once, and the create event completes it with its name', async () => {
    const inventory = new Inventory();
    inventory.noteCreated({ id: 'n', messageId: 'm', queue: 'jobs', createdNs: BigInt(Date.now()) * 1_000_000n });
    expect(inventory.load()).toBe(1);
    const named = inventory.whenNamed('n', 1000);
    inventory.apply(event('create', 'n', { name: 'quirky_turing' }, Math.floor(Date.now() / 1000)));
    await expect(named).resolves.toMatchObject({ id: 'n', name: 'quirky_turing', state: 'created' });
    expect(inventory.load()).toBe(1);
  });

  it('gives up waiting for a name or a place in the stream after the deadline, and forgets the waiter', async () => {
    const inventory = new Inventory();
    inventory.noteCreated({ id: 'slow', messageId: 'm', queue: 'jobs', createdNs: BigInt(Date.now()) * 1_000_000n });
    await expect(inventory.whenNamed('slow', 10)).resolves.toBeUndefined();
    await expect(inventory.whenSequenced('slow', 10)).resolves.toBeUndefined();
    // The event that comes later still completes the entry for whoever asks next.
    inventory.apply(event('create', 'slow', { name: 'late' }, Math.floor(Date.now() / 1000)));
    await expect(inventory.whenNamed('slow', 10)).resolves.toMatchObject({ name: 'late' });
  });

  it('finds the containers of a message on a queue, and counts a queue by state', () => {
    const inventory = new Inventory();
    inventory.replace([
      listed('a', 'running', 1, 'm1'),
      listed('b', 'exited', 2, 'm1'),
      listed('c', 'exited', 3, 'm2'),
    ]);
    expect(
      inventory
        .ofMessage('m1', 'jobs')
        .map((e) => e.id)
        .sort(),
    ).toEqual(['a', 'b']);
    expect(inventory.ofMessage('m1', 'other')).toEqual([]);
    expect(inventory.statesOf('jobs')).toEqual({ running: 1, exited: 2 });
  });

  it('follows a rename', () => {
    const inventory = new Inventory();
    inventory.apply(event('create', 'r'));
    inventory.apply(event('rename', 'r', { name: 'renamed', oldName: '/r-name' }));
    expect(inventory.get('r')?.name).toBe('renamed');
  });

  describe("the engine's order of create events (the capacity check's order)", () => {
    const nowNs = 1000n * S;

    it('numbers containers in the order their create events came; a list gives those it alone knows 0', () => {
      const inventory = new Inventory();
      inventory.replace([listed('old', 'running', 990)]);
      inventory.apply(event('create', 'x'));
      inventory.apply(event('create', 'y'));
      expect([
        inventory.get('old')?.createdSeq,
        inventory.get('x')?.createdSeq,
        inventory.get('y')?.createdSeq,
      ]).toEqual([0, 1, 2]);
      // A resync keeps the order the stream gave, and a create event replayed after a reconnect does not move it.
      inventory.replace([listed('old', 'running', 990), listed('x', 'created', 1000), listed('y', 'created', 1000)]);
      inventory.apply(event('create', 'y'));
      inventory.apply(event('create', 'x'));
      expect([inventory.get('x')?.createdSeq, inventory.get('y')?.createdSeq]).toEqual([1, 2]);
    });

    it('counts the load created before a container: earlier events and list-only containers, not later ones', () => {
      const inventory = new Inventory();
      inventory.replace([listed('old', 'running', 990), listed('gone', 'exited', 990)]);
      inventory.apply(event('create', 'x'));
      inventory.apply(event('create', 'mine'));
      inventory.apply(event('create', 'later'));
      expect(inventory.loadBefore('mine', nowNs)).toBe(2); // old (running) and x (created, about to start)
      inventory.apply(event('die', 'x'));
      expect(inventory.loadBefore('mine', nowNs)).toBe(1);
      expect(inventory.loadBefore('later', nowNs)).toBe(2);
    });

    it("waits for this worker's own container's create event; until then it has no place", async () => {
      const inventory = new Inventory();
      inventory.noteCreated({ id: 'mine', messageId: 'm', queue: 'jobs', createdNs: nowNs });
      inventory.noteCreated({ id: 'next', messageId: 'n', queue: 'jobs', createdNs: nowNs });
      expect(inventory.loadBefore('mine', nowNs)).toBeUndefined();
      const sequenced = inventory.whenSequenced('mine', 1000);
      inventory.apply(event('create', 'other'));
      inventory.apply(event('create', 'mine'));
      expect((await sequenced)?.createdSeq).toBe(2);
      // n.b. 'next', whose event has not come, was created after 'mine' by the engine's order: it does not count.
      expect(inventory.loadBefore('mine', nowNs)).toBe(1);
      await expect(inventory.whenSequenced('mine', 1000)).resolves.toMatchObject({ id: 'mine' });
    });

    it('a container this worker created that a resync lists before its event counts before every other until it comes', () => {
      const inventory = new Inventory();
      inventory.noteCreated({ id: 'mine', messageId: 'm', queue: 'jobs', createdNs: nowNs });
      inventory.replace([listed('mine', 'created', 1000)]);
      inventory.apply(event('create', 'other'));
      expect(inventory.loadBefore('other', nowNs)).toBe(1);
      inventory.apply(event('create', 'mine'));
      expect(inventory.loadBefore('other', nowNs)).toBe(0);
      expect(inventory.loadBefore('mine', nowNs)).toBe(1);
    });
  });
});
