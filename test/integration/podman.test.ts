import type Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countCreates } from '../support/engine-events.js';
import { exists, startHarness, type Harness } from '../support/harness.js';
import { eventually } from '../support/http.js';
import { dockerClient, podmanEngine, removeContainers, services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';

// The engine-facing behaviours on a Podman engine: a pool of Docker engine a and Podman engine p, every run pinned to p
// (Options.Host). What Podman answers differently is in scripts/PODMAN-NOTES.md and docs/engines.md.
const podman = podmanEngine();

/** The worker's policy: the hardening every container gets, checked on Podman by inspecting the container. */
const POLICY = [
  '--allow-image',
  'docker-dispatch-test:*',
  '--default-memory',
  '64m',
  '--default-cpus',
  '0.5',
  '--default-pids-limit',
  '64',
  '--user',
  '65534',
  '--read-only',
  '--cap-drop-all',
];

describe.skipIf(podman === undefined)('a Podman engine in the pool (p), beside Docker engine a', () => {
  let h: Harness;
  let p: Docker;
  beforeAll(async () => {
    h = await startHarness('dd-podman', POLICY, `a=${services().hostA},p=${podman}`);
    p = dockerClient(podman!);
  });
  afterAll(async () => {
    await h?.cleanup();
    if (h) await removeContainers([p], h.queue);
  });

  const request = async (message: object, options: { messageId?: string } = {}) =>
    (await h.broker.request(h.queue, message, options)).body;
  const onP = (cmd: string[], options: Record<string, unknown> = {}) => ({
    Dockercmd: 'run',
    Image: h.image,
    Cmd: cmd,
    Options: { Host: 'p', ...options },
  });
  /** A container made on p directly, as another user of the engine would, labelled as this queue's. */
  const direct = async (cmd: string[], start: boolean) => {
    const container = await p.createContainer({
      name: unique('pod-direct'),
      Image: h.image,
      Cmd: cmd,
      Labels: { 'docker-dispatch.queue': h.queue },
      HostConfig: { NetworkMode: 'none' },
    });
    if (start) await container.start();
    return container;
  };
  const hostP = async () => (await request({ Dockercmd: 'hosts' })).Hosts?.find((e) => e.Name === 'p');

  it('the hosts reply names p a healthy podman engine, and a a docker one', async () => {
    // n.b. each engine's loop reads /version once its event stream is open, which may be just after the worker consumes.
    const body = await eventually('both engines described', async () => {
      const reply = await request({ Dockercmd: 'hosts' });
      return reply.Hosts?.every((e) => e.Vendor !== undefined) ? reply : undefined;
    });
    expect(body.Hosts?.find((e) => e.Name === 'p')).toMatchObject({ Healthy: true, Vendor: 'podman' });
    expect(body.Hosts?.find((e) => e.Name === 'p')?.Version).toMatch(/^\d+\.\d+/);
    expect(body.Hosts?.find((e) => e.Name === 'a')).toMatchObject({ Healthy: true, Vendor: 'docker' });
  });

  it('runs an attached container: stdout and stderr apart, the exit code, and removes it', async () => {
    const body = await request(
      onP(['sh', '-c', 'echo out; echo err >&2; exit 3'], { Attach: ['STDOUT', 'STDERR'], Remove: true }),
    );
    expect(body).toMatchObject({ Status: 'ok', Host: 'p', ExitCode: 3, Stdout: 'out\n', Stderr: 'err\n' });
    expect(await exists(p, body.Container!.Id)).toBe(false);
    expect(h.worker.stdout).toContain(`${body.Container!.Name} | out`);
  });

  it('loses no output of a container that writes much and exits at once', async () => {
    const body = await request(onP(['sh', '-c', 'seq 1 20000'], { Attach: ['STDOUT'], Remove: true }));
    expect(body).toMatchObject({ Status: 'ok', Host: 'p', ExitCode: 0 });
    const lines = body.Stdout!.trimEnd().split('\n');
    expect(lines).toHaveLength(20000);
    expect(lines.at(-1)).toBe('20000');
  });

  it('hands Podman the fully qualified image the policy matched; the reply names the container, not the image', async () => {
    const name = unique('pod-image');
    const body = await request({
      Dockercmd: 'create',
      Image: h.image,
      Cmd: ['true'],
      Options: { Host: 'p', Name: name },
    });
    expect(body).toMatchObject({ Status: 'ok', Host: 'p', Container: { Name: name } });
    expect((await p.getContainer(name).inspect()).Config.Image).toBe(`docker.io/library/${h.image}`);
  });

  it('hardens the container: no capabilities, no new privileges, read-only root, the user and the limits', async () => {
    const name = unique('pod-hardened');
    const body = await request(
      onP(
        [
          'sh',
          '-c',
          'id -u; grep -E "^(CapEff|CapPrm|CapBnd|NoNewPrivs):" /proc/self/status; ' +
            'touch /root-fs 2>/dev/null && echo root-writable || echo root-read-only; touch /tmp/x && echo tmp-writable',
        ],
        { Name: name, Attach: ['STDOUT'] },
      ),
    );
    expect(body).toMatchObject({ Status: 'ok', Host: 'p', ExitCode: 0 });
    // n.b. CapBnd, the bounding set, is what the capability drop empties whatever the user; CapEff and CapPrm follow.
    expect(body.Stdout!.replace(/\t/g, ' ')).toBe(
      '65534\nCapPrm: 0000000000000000\nCapEff: 0000000000000000\nCapBnd: 0000000000000000\nNoNewPrivs: 1\n' +
        'root-read-only\ntmp-writable\n',
    );
    const info = await p.getContainer(name).inspect();
    expect(info.Config.User).toBe('65534');
    expect(info.HostConfig).toMatchObject({
      Memory: 64 * 1024 ** 2,
      MemorySwap: 64 * 1024 ** 2,
      NanoCpus: 5e8,
      PidsLimit: 64,
      Privileged: false,
      ReadonlyRootfs: true,
    });
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(info.HostConfig.CapAdd ?? []).toEqual([]);
    // n.b. Podman spells CapDrop ALL out as the capabilities it would have granted (PODMAN-NOTES.md, note 10).
    expect(info.HostConfig.CapDrop).toEqual(
      expect.arrayContaining(['CHOWN', 'KILL', 'NET_RAW', 'SETUID', 'SYS_CHROOT']),
    );
  });

  it('stops a running container (SIGKILL after Options.Time) and wait reports its exit code', async () => {
    const name = unique('pod-stop');
    expect(await request(onP(['sleep', '300'], { Name: name }))).toMatchObject({ Status: 'ok', Host: 'p' });
    const stopped = await request({ Dockercmd: 'stop', Container: name, Options: { Time: 1 } });
    expect(stopped).toMatchObject({ Status: 'ok', Host: 'p', Container: { Name: name } });
    expect(await request({ Dockercmd: 'wait', Container: name })).toMatchObject({ Status: 'ok', ExitCode: 137 });
    // Stopping it again is done, as on Docker.
    expect(await request({ Dockercmd: 'stop', Container: name })).toMatchObject({ Status: 'ok', Host: 'p' });
  });

  it("answers Podman's conflicts as Docker's, dead-lettered, and they do not quarantine the engine", async () => {
    const running = await direct(['sleep', '300'], true);
    const name = (await running.inspect()).Name.replace(/^\//, '');
    // Three conflicts, as many failures as would quarantine an engine (--quarantine-after defaults to 3).
    const conflicts = [
      await request({ Dockercmd: 'remove', Container: name }),
      await request({ Dockercmd: 'create', Image: h.image, Options: { Host: 'p', Name: name } }),
      await request({ Dockercmd: 'kill', Container: (await direct(['true'], false)).id }),
    ];
    for (const body of conflicts) expect(body).toMatchObject({ Status: 'error', Error: { Code: 'Conflict' } });
    expect(conflicts[0]!.Error!.Message).toContain('refused remove (conflict)');
    for (let i = 0; i < conflicts.length; i++) {
      expect((await h.broker.take(h.deadLetterQueue)).properties.headers?.['x-dispatch-error-code']).toBe('Conflict');
    }
    expect(await hostP()).toMatchObject({ Healthy: true });
    expect(h.worker.stderr).not.toContain('quarantined');
    expect(await request({ Dockercmd: 'remove', Container: name, Options: { Force: true } })).toMatchObject({
      Status: 'ok',
      Host: 'p',
    });
    expect(await exists(p, running.id)).toBe(false);
  });

  it('wait on a container that never ran replies ExitCode 0, as on Docker', async () => {
    const created = await direct(['true'], false);
    expect(await request({ Dockercmd: 'wait', Container: created.id })).toMatchObject({
      Status: 'ok',
      Host: 'p',
      ExitCode: 0,
    });
  });

  it('list reports the image as each engine records it: the qualified reference the worker created from, on both', async () => {
    const tag = unique('pod-list');
    for (const host of ['a', 'p']) {
      const body = await request({
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['true'],
        Options: { Host: host, Labels: { 'test.tag': tag } },
      });
      expect(body).toMatchObject({ Status: 'ok', Host: host });
    }
    const { Containers } = await request({ Dockercmd: 'list', Options: { All: true, Labels: { 'test.tag': tag } } });
    expect(Containers?.map((c) => [c.Host, c.Image]).sort()).toEqual([
      ['a', `docker.io/library/${h.image}`],
      ['p', `docker.io/library/${h.image}`],
    ]);
  });

  it('sent only replies that validate against reply.schema.json', () => {
    expect(h.broker.invalidReplies).toEqual([]);
  });
});

describe.skipIf(podman === undefined)('adoption on a Podman engine', () => {
  let h: Harness | undefined;
  let second: WorkerProcess | undefined;
  afterEach(async () => {
    await second?.stop();
    await h?.cleanup();
    if (h) await removeContainers([dockerClient(podman!)], h.queue);
    h = second = undefined;
  });

  it('a worker killed mid-run: the next worker adopts the running container on p instead of running it again', async () => {
    const pool = `a=${services().hostA},p=${podman}`;
    h = await startHarness('dd-podman-kill', ['--prefetch', '1'], pool);
    const messageId = unique('pod-kill');
    const since = Math.floor(Date.now() / 1000);
    const reply = h.broker.request(
      h.queue,
      {
        Dockercmd: 'run',
        Image: h.image,
        Cmd: ['sh', '-c', 'echo begin; sleep 3; echo end; exit 5'],
        Options: { Host: 'p', Attach: ['STDOUT', 'STDERR'], Remove: true },
      },
      { messageId },
    );
    const first = h.worker;
    await first.waitFor(() => first.stdout.includes('| begin'));
    await first.kill();

    second = await WorkerProcess.start(['-q', h.queue, '--network', 'none', pool, h.amqpUrl]);
    const { body } = await reply;
    expect(body).toMatchObject({ Status: 'ok', Host: 'p', ExitCode: 5, Stdout: 'begin\nend\n', Stderr: '' });
    expect(second.stderr).toContain('adopting the container of an earlier attempt');
    expect(await countCreates(dockerClient(podman!), since, [`docker-dispatch.message-id=${messageId}`])).toBe(1);
    expect(await exists(dockerClient(podman!), body.Container!.Id)).toBe(false);
    expect(await h.broker.depth(h.queue)).toBe(0);
  });
});
