import { describe, expect, it } from 'vitest';
import { classifyDockerError, neverReachedEngine, type DockerOperation } from '../../src/docker/classify.js';
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
