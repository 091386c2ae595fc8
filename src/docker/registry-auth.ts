import type { RegistryAuth } from './pull-image.js';

/** A message's Options.Auth as the Engine API takes it; absent when the message has none. */
export function registryAuth(
  auth: { Username?: string; Password?: string; ServerAddress?: string } | undefined,
): RegistryAuth | undefined {
  if (!auth) return undefined;
  return { username: auth.Username, password: auth.Password, serveraddress: auth.ServerAddress };
}
