import type Docker from 'dockerode';

/** The local registry on loopback that scripts/services.sh starts (engines allow 127.0.0.0/8 registries over HTTP). */
export function registryAddress(): string {
  return process.env.TEST_REGISTRY ?? '127.0.0.1:5000';
}

/** Follows a push or pull progress stream to its end; rejects with an error carried inside it. */
export function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = output?.find((o) => o.error);
      if (err || failed) reject(err ?? new Error(failed!.error));
      else resolve();
    });
  });
}

/** Tags an image the engine has as `repo:tag` in the local registry and pushes it there. */
export async function pushToRegistry(docker: Docker, image: string, repo: string, tag: string): Promise<string> {
  const reference = `${registryAddress()}/${repo}:${tag}`;
  await docker.getImage(image).tag({ repo: `${registryAddress()}/${repo}`, tag });
  await follow(docker, await docker.getImage(reference).push({ authconfig: { serveraddress: registryAddress() } }));
  return reference;
}

/** Removes an image from an engine if it is there. */
export async function removeImage(docker: Docker, reference: string): Promise<void> {
  await docker
    .getImage(reference)
    .remove({ force: true })
    .catch(() => undefined);
}
