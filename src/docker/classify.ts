import { DispatchError, type ErrorContext } from '../errors.js';

/** The Engine API calls the worker makes; a status code means different things for different calls. */
export type DockerOperation =
  | 'ping'
  | 'list'
  | 'create'
  | 'inspect'
  | 'attach'
  | 'logs'
  | 'wait'
  | 'start'
  | 'stop'
  | 'remove'
  | 'restart'
  | 'kill'
  | 'pull';

/** Socket errors that mean the request never reached the engine, so trying another engine cannot duplicate work. */
const NOT_REACHED = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EACCES',
]);

interface EngineFailure {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string } | null;
}

/** True when `err` shows the request never reached the engine (connection refused, no socket, no route). */
export function neverReachedEngine(err: unknown): boolean {
  const code = (err as EngineFailure | null)?.code;
  return typeof code === 'string' && NOT_REACHED.has(code);
}

/**
 * Turns a dockerode failure into a DispatchError, by status code and operation, never by message text (dockerode
 * labels a 404 from create "no such container" although it means a missing image; a 409 carries no reason at all).
 */
export function classifyDockerError(
  err: unknown,
  operation: DockerOperation,
  host: string,
  context: ErrorContext = {},
): DispatchError {
  if (err instanceof DispatchError) return err.withContext(context);
  const failure = (err ?? {}) as EngineFailure;
  const status = typeof failure.statusCode === 'number' ? failure.statusCode : undefined;
  const reason = engineReason(failure);
  const withContext = { cause: err, context: { host, ...context } };

  if (status === undefined) {
    const what = failure.code ? `${failure.code}` : reason;
    return new DispatchError(
      'DockerUnavailable',
      `engine ${host} unreachable during ${operation}: ${what}`,
      withContext,
    );
  }
  // n.b. the worker follows no redirect (see docker-client.ts): an engine that answers 3xx has refused the request.
  if (status >= 300 && status < 400) {
    return new DispatchError(
      'DockerError',
      `engine ${host} answered ${operation} with a redirect (${status}), which the worker does not follow: ${reason}`,
      withContext,
    );
  }
  if (status >= 500) {
    return new DispatchError(
      'DockerUnavailable',
      `engine ${host} failed ${operation} (${status}): ${reason}`,
      withContext,
    );
  }
  if (status === 404) {
    if (operation === 'create')
      return new DispatchError('ImageNotFound', `image not found on engine ${host}: ${reason}`, withContext);
    // n.b. start is called on a container just created or just found: its 404 is something it needs (its network).
    if (operation === 'start')
      return new DispatchError('DockerError', `engine ${host} cannot start the container: ${reason}`, withContext);
    return new DispatchError('ContainerNotFound', `container not found on engine ${host}: ${reason}`, withContext);
  }
  if (status === 409) {
    return new DispatchError('Conflict', `engine ${host} refused ${operation} (conflict): ${reason}`, withContext);
  }
  return new DispatchError('DockerError', `engine ${host} refused ${operation} (${status}): ${reason}`, withContext);
}

/** The engine's own words: its JSON `message`, else dockerode's text without its "(HTTP code N) label - " prefix. */
export function engineReason(failure: EngineFailure): string {
  const fromJson = failure.json?.message;
  if (typeof fromJson === 'string' && fromJson !== '') return fromJson;
  const text = (failure.message ?? '').trim();
  return text.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim() || 'no reason given';
}
