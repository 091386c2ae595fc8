import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { pushToRegistry, registryAddress, removeImage } from '../support/registry.js';
import { unique } from '../support/services.js';

/** A password the worker must never print or echo. */
const SECRET = 's3cret-registry-pw';

describe('pull, and runs that pull their image, against a local registry', () => {
  let h: Harness;
  let repo: string;
  /** The test image, pushed to the registry; engine b does not have it at first. */
  let pushed: string;
  const images: string[] = [];
  beforeAll(async () => {
    h = await startHarness('dd-pull');
    repo = unique('dd-pull');
    pushed = await pushToRegistry(h.engines.a, h.image, repo, 'v1');
    images.push(pushed);
  });
  afterAll(async () => {
    for (const image of images) for (const docker of [h.engines.a, h.engines.b]) await removeImage(docker, image);
    await h?.cleanup();
  });

  it('pull on Options.Host pulls onto an engine that lacks the image, with credentials that appear nowhere', async () => {
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'pull',
      Image: pushed,
      Options: { Host: 'b', Auth: { Username: 'someone', Password: SECRET, ServerAddress: registryAddress() } },
    });
    expect(body).toMatchObject({ Dockercmd: 'pull', Status: 'ok', Pulled: [{ Host: 'b', Image: pushed }] });
    expect(body.Pulled?.[0]?.Id).toMatch(/^sha256:/);
    expect((await h.engines.b.getImage(pushed).inspect()).Id).toBe(body.Pulled?.[0]?.Id);
    expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(h.worker.stdout + h.worker.stderr).not.toContain(SECRET);
  });

  it('pull without Options.Host pulls onto every engine', async () => {
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'pull', Image: pushed });
    expect(body.Status).toBe('ok');
    expect(body.Pulled?.map((p) => p.Host).sort()).toEqual(['a', 'b']);
  });

  it('pull of a tag the registry does not have is PullFailed with the registry reason, dead-lettered', async () => {
    const missing = `${registryAddress()}/${repo}:no-such-tag`;
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'pull', Image: missing, Options: { Host: 'a' } });
    expect(body).toMatchObject({ Status: 'error', Host: 'a', Error: { Code: 'PullFailed' }, Pulled: [] });
    expect(body.Error?.Message).toContain(missing);
    expect(body.Error?.Message).toMatch(/not found|manifest unknown/i);
    const dead = await h.broker.take(h.deadLetterQueue);
    expect(dead.properties.headers?.['x-dispatch-error-code']).toBe('PullFailed');
  });

  it('pull from a registry that cannot be reached is PullFailed with the reason', async () => {
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'pull',
      Image: '127.0.0.1:5999/nothing:here',
      Options: { Host: 'b' },
    });
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'PullFailed' } });
    expect(body.Error?.Message).toMatch(/connection refused/i);
    await h.broker.take(h.deadLetterQueue);
  });

  it('a run whose image the engine lacks pulls it first (Options.Pull missing, the default)', async () => {
    const reference = await pushToRegistry(h.engines.a, h.image, repo, 'for-run');
    images.push(reference);
    await removeImage(h.engines.b, reference);
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: reference,
      Cmd: ['echo', 'pulled'],
      Options: { Host: 'b', Attach: ['STDOUT'], Remove: true },
    });
    expect(body).toMatchObject({ Status: 'ok', Host: 'b', ExitCode: 0, Stdout: 'pulled\n' });
  });

  it('a run with Options.Pull never and a missing image is ImageNotFound, and nothing is pulled', async () => {
    const reference = await pushToRegistry(h.engines.a, h.image, repo, 'never');
    images.push(reference);
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Image: reference,
      Options: { Host: 'b', Pull: 'never' },
    });
    expect(body).toMatchObject({ Status: 'error', Host: 'b', Error: { Code: 'ImageNotFound' } });
    await h.broker.take(h.deadLetterQueue);
    await expect(h.engines.b.getImage(reference).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('a run whose image cannot be pulled is ImageNotFound with the registry reason', async () => {
    const missing = `${registryAddress()}/${repo}:absent`;
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'run', Image: missing, Options: { Host: 'a' } });
    expect(body).toMatchObject({ Status: 'error', Host: 'a', Error: { Code: 'ImageNotFound' } });
    expect(body.Error?.Message).toMatch(/could not be pulled: .*(not found|manifest unknown)/i);
    await h.broker.take(h.deadLetterQueue);
  });

  it('a run with Options.Pull always pulls a newer image under the same tag', async () => {
    // v1 is on engine a; then a different image is pushed under the same tag.
    const reference = await pushToRegistry(h.engines.a, h.image, repo, 'always');
    images.push(reference);
    await h.broker.request(h.queue, { Dockercmd: 'pull', Image: reference, Options: { Host: 'b' } });
    const marker = await h.engines.a.createContainer({
      Image: h.image,
      Cmd: ['sh', '-c', 'echo v2 > /marker'],
      HostConfig: { NetworkMode: 'none' },
    });
    await marker.start();
    await marker.wait();
    await marker.commit({ repo: `${registryAddress()}/${repo}`, tag: 'always' });
    await marker.remove();
    await pushToRegistry(h.engines.a, reference, repo, 'always');

    const run = (pull: string) =>
      h.broker.request(h.queue, {
        Dockercmd: 'run',
        Image: reference,
        Cmd: ['sh', '-c', 'cat /marker 2>/dev/null || echo v1'],
        Options: { Host: 'b', Attach: ['STDOUT'], Remove: true, Pull: pull },
      });
    expect((await run('missing')).body.Stdout).toBe('v1\n');
    expect((await run('always')).body.Stdout).toBe('v2\n');
  });

  it('sent only replies that validate against reply.schema.json', () => {
    expect(h.broker.invalidReplies).toEqual([]);
  });
});
