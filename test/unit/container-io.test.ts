import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { registerWait } from '../../src/docker/container-io.js';

/** A container whose engine answers its wait with `body` (the response headers at once, the body then). */
function containerAnswering(body: object): { container: Docker.Container; asked: object[] } {
  const asked: object[] = [];
  const modem = {
    dial(options: object, callback: (err: Error | null, res: PassThrough) => void) {
      asked.push(options);
      const response = new PassThrough();
      callback(null, response);
      response.end(JSON.stringify(body));
    },
  };
  return { container: { id: 'c1', modem } as unknown as Docker.Container, asked };
}

describe('registerWait: the exit code as Docker reports it, from either vendor', () => {
  it.each([
    ['an exit code', { StatusCode: 3, Error: null }, 3],
    ['a zero exit', { Error: null, StatusCode: 0 }, 0],
    ['a signal (128 + 9)', { StatusCode: 137 }, 137],
    // Podman's not-running on a container that never ran: Docker answers 0.
    ["Podman's -1 for a container that never ran", { StatusCode: -1, Error: null }, 0],
  ])('%s', async (_what, body, expected) => {
    const { container, asked } = containerAnswering(body);
    const { exitCode } = await registerWait(container, 'not-running');
    expect(await exitCode).toBe(expected);
    expect(asked).toEqual([
      expect.objectContaining({ path: '/containers/c1/wait?', options: { condition: 'not-running' } }),
    ]);
  });

  it("an engine's Error in the body fails the wait with its words", async () => {
    const { container } = containerAnswering({ StatusCode: 0, Error: { Message: 'container vanished' } });
    const { exitCode } = await registerWait(container, 'next-exit');
    await expect(exitCode).rejects.toThrow('container vanished');
  });
});
