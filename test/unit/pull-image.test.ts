import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/docker/engine.js';
import { pullImage } from '../../src/docker/pull-image.js';

/** An engine whose pull answers 200 with these chunks of progress stream (as a registry failure mid-pull does). */
function engineStreaming(chunks: string[]): Engine {
  return {
    id: 'a',
    docker: { pull: () => Promise.resolve(Readable.from(chunks.map((c) => Buffer.from(c)))) },
  } as unknown as Engine;
}

describe('pullImage: the reference', () => {
  it('asks the engine for the fully qualified reference, and names the image as given in its errors', async () => {
    const asked: string[] = [];
    const engine = {
      id: 'p',
      docker: {
        pull: (image: string) => {
          asked.push(image);
          return Promise.resolve(Readable.from([Buffer.from('{"error":"manifest unknown"}\n')]));
        },
      },
    } as unknown as Engine;
    await expect(pullImage(engine, 'busybox', undefined)).rejects.toThrow(
      'pulling busybox on engine p failed: manifest unknown',
    );
    await expect(pullImage(engine, '127.0.0.1:5000/team/app', undefined)).rejects.toThrow(
      'pulling 127.0.0.1:5000/team/app on',
    );
    expect(asked).toEqual(['docker.io/library/busybox:latest', '127.0.0.1:5000/team/app:latest']);
  });
});

describe('pullImage: the progress stream', () => {
  it('resolves when the stream ends without an error', async () => {
    const engine = engineStreaming([
      '{"status":"Pulling from library/busybox"}\n',
      '{"status":"Downloaded newer image"}\n',
    ]);
    await expect(pullImage(engine, 'busybox:1', undefined)).resolves.toBeUndefined();
  });

  it('is PullFailed with the registry reason when the stream carries an error, even split over chunks', async () => {
    const engine = engineStreaming([
      '{"status":"Pulling fs layer","id":"abc"}\n{"errorDetail":{"message":"unauthorized: ',
      'authentication required"},"error":"unauthorized: authentication required"}\n',
    ]);
    await expect(pullImage(engine, 'private/app:1', undefined)).rejects.toMatchObject({
      code: 'PullFailed',
      message: 'pulling private/app:1 on engine a failed: unauthorized: authentication required',
    });
  });

  it('sees an error on a last line without a newline', async () => {
    const engine = engineStreaming(['{"status":"Pulling"}\n{"error":"manifest unknown"}']);
    await expect(pullImage(engine, 'x:1', undefined)).rejects.toThrow(
      'pulling x:1 on engine a failed: manifest unknown',
    );
  });
});
