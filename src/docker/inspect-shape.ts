import type Docker from 'dockerode';
import { DispatchError } from '../errors.js';

/**
 * An engine's container document, checked for the fields the worker reads (Id, Name, State, Config): anything else
 * is a clear DockerError naming the engine, not a crash on a missing field later.
 */
export function checkedInspect(info: unknown, host: string): Docker.ContainerInspectInfo {
  const document = info as Partial<Docker.ContainerInspectInfo> | null;
  const missing = [
    typeof document?.Id === 'string' && document.Id !== '' ? undefined : 'Id',
    typeof document?.Name === 'string' ? undefined : 'Name',
    typeof document?.State === 'object' && document.State !== null ? undefined : 'State',
    typeof document?.Config === 'object' && document.Config !== null ? undefined : 'Config',
  ].filter((field) => field !== undefined);
  if (missing.length > 0) {
    throw new DispatchError(
      'DockerError',
      `engine ${host} answered an inspect without ${missing.join(', ')}: not a container document`,
      {
        context: { host },
      },
    );
  }
  return document as Docker.ContainerInspectInfo;
}
