import { describe, expect, it } from 'vitest';
import { queueArguments, queueNames } from '../../src/amqp/topology.js';

const names = queueNames('jobs');
const topology = { names, retryDelayMs: 5000, deliveryLimit: 20 };

describe('queue arguments', () => {
  it('classic: plain durable queues but the retry queue, which dead-letters back to the command queue', () => {
    expect(queueArguments({ ...topology, queueType: 'classic' })).toEqual({
      queue: {},
      replyQueue: {},
      deadLetterQueue: {},
      retryQueue: { 'x-message-ttl': 5000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'jobs' },
      handoverQueue: {},
      controlQueue: {},
      cancelStream: { 'x-queue-type': 'stream', 'x-max-age': '24h', 'x-stream-max-segment-size-bytes': 1_000_000 },
    });
  });

  it('quorum: the command and handover queues have the delivery limit, dead-lettered at least once to <queue>.dead', () => {
    const args = queueArguments({ ...topology, queueType: 'quorum' });
    const limited = {
      'x-queue-type': 'quorum',
      'x-delivery-limit': 20,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'jobs.dead',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    };
    expect(args.queue).toEqual(limited);
    expect(args.handoverQueue).toEqual(limited);
    expect(args.replyQueue).toEqual({ 'x-queue-type': 'quorum' });
    expect(args.deadLetterQueue).toEqual({ 'x-queue-type': 'quorum' });
    expect(args.retryQueue).toEqual({
      'x-queue-type': 'quorum',
      'x-message-ttl': 5000,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'jobs',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
    // n.b. the cancel stream is a stream whatever the queue type.
    expect(args.cancelStream['x-queue-type']).toBe('stream');
  });

  it('declares no priorities without --max-priority', () => {
    expect(queueArguments({ ...topology, queueType: 'classic' }).queue).toEqual({});
  });

  it('gives only the command queue x-max-priority with --max-priority (the retry queue stays first in, first out)', () => {
    const args = queueArguments({ ...topology, queueType: 'classic', maxPriority: 5 });
    expect(args.queue).toEqual({ 'x-max-priority': 5 });
    for (const key of [
      'replyQueue',
      'deadLetterQueue',
      'retryQueue',
      'handoverQueue',
      'controlQueue',
      'cancelStream',
    ] as const)
      expect(args[key]).not.toHaveProperty('x-max-priority');
  });
});
