import { describe, expect, it } from 'vitest';
import { queueArguments, queueNames, type Topology } from '../../src/amqp/topology.js';

const topology: Topology = {
  names: queueNames('jobs'),
  retryDelayMs: 5000,
  queueType: 'classic',
  deliveryLimit: 20,
};

describe('queue arguments', () => {
  it('declares no priorities without --max-priority', () => {
    expect(queueArguments(topology).queue).toEqual({});
  });

  it('gives only the command queue x-max-priority with --max-priority (the retry queue stays first in, first out)', () => {
    const args = queueArguments({ ...topology, maxPriority: 5 });
    expect(args.queue).toEqual({ 'x-max-priority': 5 });
    for (const key of ['replyQueue', 'deadLetterQueue', 'retryQueue', 'handoverQueue', 'cancelStream'] as const)
      expect(args[key]).not.toHaveProperty('x-max-priority');
  });
});
