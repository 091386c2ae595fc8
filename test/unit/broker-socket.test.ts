import { describe, expect, it } from 'vitest';
import { socketOptions } from '../../src/amqp/session.js';

describe('the broker connection', () => {
  it("sends each write at once, without waiting for the broker's acknowledgement of the last (Nagle off)", () => {
    expect(socketOptions('jobs', undefined).noDelay).toBe(true);
  });

  it('is named after its queue and process in the management UI', () => {
    expect(socketOptions('jobs', undefined).clientProperties).toEqual({
      connection_name: `docker-dispatch jobs pid ${process.pid}`,
    });
  });
});
