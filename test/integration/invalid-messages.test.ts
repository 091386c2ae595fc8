import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidFixtures } from '../support/fixtures.js';
import { startHarness, type Harness } from '../support/harness.js';
import { unique } from '../support/services.js';

describe('invalid messages', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('dd-invalid');
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it.each(invalidFixtures())(
    '$name: error reply naming the problem, original kept in the dead-letter queue',
    async (fixture) => {
      const correlationId = unique(fixture.name);
      const reply = h.broker.replyFor(correlationId);
      h.broker.channel.sendToQueue(h.queue, fixture.content, {
        replyTo: h.broker.replyTo,
        correlationId,
        headers: { 'x-producer': 'test' },
      });
      const { body } = await reply;
      expect(body).toMatchObject({ Status: 'error', MessageId: correlationId, Error: { Code: fixture.code } });
      for (const phrase of fixture.mentions) expect(body.Error?.Message).toContain(phrase);

      const dead = await h.broker.take(h.deadLetterQueue);
      expect(dead.content.equals(fixture.content)).toBe(true);
      expect(dead.properties.correlationId).toBe(correlationId);
      expect(dead.properties.headers).toMatchObject({
        'x-producer': 'test',
        'x-dispatch-error-code': fixture.code,
        'x-dispatch-error-message': body.Error?.Message,
      });
      expect(h.worker.stdout).toContain(`${fixture.code}: ${body.Error?.Message}`);
    },
  );

  it('acks every invalid message: none is left on the command queue', async () => {
    expect(await h.broker.depth(h.queue)).toBe(0);
    expect(await h.broker.depth(h.deadLetterQueue)).toBe(0); // each test took its copy
  });

  it('sent only replies that validate against reply.schema.json', () => {
    expect(h.broker.invalidReplies).toEqual([]);
  });
});
