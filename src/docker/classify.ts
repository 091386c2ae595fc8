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
  /** The engine's JSON body: Docker's `{message}`, Podman's `{cause, message, response}`. */
  json?: { message?: string; cause?: string } | null;
}

/**
 * What the `cause` of a Podman error body says in Docker's terms. Podman answers 500 where Docker answers 409 (a name
 * in use, a kill of a container that is not running, a DELETE of a running one without force) and, when an inspect
 * races the container's removal, where Docker answers 404 (scripts/PODMAN-NOTES.md, notes 1 and 12). A `cause` is the
 * text of the Go sentinel error at the root of the failure, one fixed string per kind of error (unlike `message`,
 * which names the container and the call), so it is matched whole.
 */
const PODMAN_CAUSE_STATUS: ReadonlyMap<string, number> = new Map([
  // containers/storage ErrDuplicateName: a create with a name in use.
  ['that name is already in use', 409],
  // libpod ErrCtrExists: the same, when libpod notices first.
  ['container already exists', 409],
  // libpod ErrCtrStateInvalid: a kill of a container that is not running, a DELETE of a running one without force.
  ['container state improper', 409],
  // libpod ErrNoSuchCtr: a container removed while it was being looked at.
  ['no such container', 404],
]);

/**
 * The HTTP status of a failed call as Docker would have answered it: the engine's own, except a Podman 500 whose
 * structured `cause` is one of PODMAN_CAUSE_STATUS. The one place where an engine's words decide what its answer
 * means; a 500 with any other cause (or none) stays a 500 (the engine failing). Undefined when the engine did not
 * answer.
 */
export function dockerStatus(err: unknown): number | undefined {
  const failure = (err ?? {}) as EngineFailure;
  if (typeof failure.statusCode !== 'number') return undefined;
  const cause = failure.json?.cause;
  if (failure.statusCode === 500 && typeof cause === 'string') return PODMAN_CAUSE_STATUS.get(cause) ?? 500;
  return failure.statusCode;
}

/** True when `err` shows the request never reached the engine (connection refused, no socket, no route). */
export function neverReachedEngine(err: unknown): boolean {
  const code = (err as EngineFailure | null)?.code;
  return typeof code === 'string' && NOT_REACHED.has(code);
}

/**
 * Turns a dockerode failure into a DispatchError, by status code and operation, never by message text (dockerode
 * labels a 404 from create "no such container" although it means a missing image; a 409 carries no reason at all).
 * Podman's conflicts and missing containers, which come as 500, are told apart by their structured cause (dockerStatus),
 * so they are the message's doing (Conflict, ContainerNotFound), not the engine failing.
 */
export function classifyDockerError(
  err: unknown,
  operation: DockerOperation,
  host: string,
  context: ErrorContext = {},
): DispatchError {
  if (err instanceof DispatchError) return err.withContext(context);
  const failure = (err ?? {}) as EngineFailure;
  const status = dockerStatus(failure);
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
