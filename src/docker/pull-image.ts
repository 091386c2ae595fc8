import { DispatchError } from '../errors.js';
import { classifyDockerError, engineReason } from './classify.js';
import type { Engine } from './engine.js';
import { normalizeImage } from './image-ref.js';

/** Registry credentials, as the Engine API takes them (X-Registry-Auth). Never logged or echoed. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  serveraddress?: string;
}

/** Longest a pull may take before it counts as the engine being unavailable. */
export const PULL_TIMEOUT_MS = 10 * 60 * 1000;

/** One line of the engine's pull progress stream. */
interface Progress {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Pulls `image` onto `engine` and follows the progress stream to its end. A failure the engine reports inside the
 * stream (HTTP 200, then `{"error": …}`) or by its status (an unknown image, an unreachable registry) is PullFailed
 * with the registry's reason; an engine that cannot be reached is DockerUnavailable. A tagless reference pulls
 * `latest`, never every tag. The engine is asked for the fully qualified reference (normalizeImage); errors name
 * `image` as the caller gave it.
 */
export async function pullImage(
  engine: Engine,
  image: string,
  auth: RegistryAuth | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const failed = (reason: string, cause?: unknown) =>
    new DispatchError('PullFailed', `pulling ${image} on engine ${engine.id} failed: ${reason}`, {
      cause,
      context: { host: engine.id },
    });
  let stream: NodeJS.ReadableStream;
  try {
    stream = await engine.docker.pull(normalizeImage(image), {
      ...(auth ? { authconfig: auth } : {}),
      abortSignal: signal
        ? AbortSignal.any([signal, AbortSignal.timeout(PULL_TIMEOUT_MS)])
        : AbortSignal.timeout(PULL_TIMEOUT_MS),
    });
  } catch (err) {
    // n.b. the engine answered: the registry (or the reference) is what failed, whatever the status code.
    if (typeof (err as { statusCode?: unknown }).statusCode === 'number')
      throw failed(engineReason(err as Parameters<typeof engineReason>[0]), err);
    throw classifyDockerError(err, 'pull', engine.id);
  }
  let rest = '';
  const check = (line: string) => {
    if (line.trim() === '') return;
    let progress: Progress;
    try {
      progress = JSON.parse(line) as Progress;
    } catch {
      return; // not a progress object: nothing to learn from it
    }
    const error = progress.errorDetail?.message ?? progress.error;
    if (error) throw failed(error);
  };
  try {
    for await (const chunk of stream) {
      const lines = (rest + (chunk as Buffer).toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      lines.forEach(check);
    }
    check(rest);
  } catch (err) {
    if (err instanceof DispatchError) throw err;
    throw classifyDockerError(err, 'pull', engine.id);
  }
}
