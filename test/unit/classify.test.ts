import { describe, expect, it } from 'vitest';
import {
  classifyDockerError,
  dockerStatus,
  neverReachedEngine,
  type DockerOperation,
} from '../../src/docker/classify.js';
import { DispatchError } from '../../src/errors.js';

/** A failure shaped as docker-modem makes them. */
function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), {
    statusCode,
    json: { message },
  });
}

describe('classifyDockerError', () => {
  it.each<[DockerOperation, number, string, string]>([
    ['create', 404, 'No such image: nope:latest', 'ImageNotFound'],
    ['inspect', 404, 'No such container: x', 'ContainerNotFound'],
    ['stop', 404, 'No such container: x', 'ContainerNotFound'],
    ['remove', 404, 'No such container: x', 'ContainerNotFound'],
    ['create', 409, 'Conflict. The container name "/x" is already in use', 'Conflict'],
    ['remove', 409, 'You cannot remove a running container', 'Conflict'],
    ['create', 400, 'invalid reference format', 'DockerError'],
    ['start', 400, 'exec: "nope": executable file not found in $PATH', 'DockerError'],
    ['start', 404, 'network mynet not found', 'DockerError'],
    ['start', 500, 'driver failed', 'DockerUnavailable'],
    ['stop', 503, 'unavailable', 'DockerUnavailable'],
  ])('%s answered %i is %s', (operation, status, message, code) => {
    const error = classifyDockerError(httpError(status, message), operation, 'a');
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
    expect(error.context.host).toBe('a');
  });

  /** A failure shaped as docker-modem makes them from Podman's error body. */
  function podmanError(cause: string, message: string): Error {
    return Object.assign(new Error(`(HTTP code 500) server error - ${message} `), {
      statusCode: 500,
      json: { cause, message, response: 500 },
    });
  }

  it.each<[DockerOperation, string, string]>([
    [
      'create',
      'that name is already in use',
      'container create: creating container storage: the container name "x" is already in use by 3f2a',
    ],
    ['create', 'container already exists', 'name "x" is in use: container already exists'],
    [
      'kill',
      'container state improper',
      'can only kill running containers. 3f2a is in state exited: container state improper',
    ],
    [
      'remove',
      'container state improper',
      'cannot remove container 3f2a as it is running - running or paused containers cannot be removed without ' +
        'force: container state improper',
    ],
  ])("Podman's 500 to %s with cause %j is a Conflict (Docker's 409), with its words", (operation, cause, message) => {
    const error = classifyDockerError(podmanError(cause, message), operation, 'p');
    expect(error.code).toBe('Conflict');
    expect(error.disposition).toBe('dead-letter');
    expect(error.message).toBe(`engine p refused ${operation} (conflict): ${message}`);
  });

  it('a Podman 500 with any other cause is the engine failing, even if its message reads like a conflict', () => {
    expect(classifyDockerError(podmanError('internal libpod error', 'boom'), 'create', 'p').code).toBe(
      'DockerUnavailable',
    );
    // n.b. only the cause is read, whole: the free text of the message never decides.
    const wordy = podmanError('no space left on device', 'the name is already in use: container state improper');
    expect(classifyDockerError(wordy, 'create', 'p').code).toBe('DockerUnavailable');
    const partial = podmanError('container state improper, and more', 'x');
    expect(classifyDockerError(partial, 'kill', 'p').code).toBe('DockerUnavailable');
    // A conflict cause on another status is not taken for one either.
    const notFive = Object.assign(new Error('x'), { statusCode: 502, json: { cause: 'container state improper' } });
    expect(classifyDockerError(notFive, 'kill', 'p').code).toBe('DockerUnavailable');
  });

  it("Podman's 500 'no such container' (an inspect racing a removal) is ContainerNotFound, as Docker's 404", () => {
    const gone = podmanError('no such container', 'container 3f2a does not exist in database: no such container');
    expect(classifyDockerError(gone, 'inspect', 'p').code).toBe('ContainerNotFound');
  });

  it('dockerStatus: the status as Docker would have answered it', () => {
    expect(dockerStatus(podmanError('container state improper', 'x'))).toBe(409);
    expect(dockerStatus(podmanError('that name is already in use', 'x'))).toBe(409);
    expect(dockerStatus(podmanError('no such container', 'x'))).toBe(404);
    expect(dockerStatus(podmanError('internal libpod error', 'x'))).toBe(500);
    expect(dockerStatus(httpError(500, 'driver failed'))).toBe(500);
    expect(dockerStatus(httpError(304, ''))).toBe(304);
    expect(dockerStatus(Object.assign(new Error(), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(dockerStatus(undefined)).toBeUndefined();
  });

  it('a socket error with no status is DockerUnavailable (transient), naming the engine', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2375'), { code: 'ECONNREFUSED' });
    const error = classifyDockerError(err, 'create', 'b');
    expect(error.code).toBe('DockerUnavailable');
    expect(error.disposition).toBe('retry');
    expect(error.message).toBe('engine b unreachable during create: ECONNREFUSED');
  });

  it("uses dockerode's text when the engine sent no JSON message", () => {
    const err = Object.assign(new Error('(HTTP code 409) unexpected - no reason '), { statusCode: 409 });
    expect(classifyDockerError(err, 'create', 'a').message).toBe('engine a refused create (conflict): no reason');
  });

  it('keeps a DispatchError as it is, adding context it lacked', () => {
    const original = new DispatchError('Conflict', 'x', { context: { host: 'a' } });
    const error = classifyDockerError(original, 'stop', 'b', { container: { Id: '1' } });
    expect(error).toBe(original);
    expect(error.context).toEqual({ host: 'a', container: { Id: '1' } });
  });

  it('only refused connections and missing sockets count as never reaching the engine', () => {
    expect(neverReachedEngine(Object.assign(new Error(), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(neverReachedEngine(Object.assign(new Error(), { code: 'ENOENT' }))).toBe(true);
    // A reset may come after the engine acted: failing over could start a second container.
    expect(neverReachedEngine(Object.assign(new Error(), { code: 'ECONNRESET' }))).toBe(false);
    expect(neverReachedEngine(httpError(500, 'x'))).toBe(false);
  });
});
