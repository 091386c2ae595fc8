import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClient } from '../support/client-process.js';
import { startHarness, type Harness } from '../support/harness.js';
import { services, unique } from '../support/services.js';
import { WorkerProcess } from '../support/worker-process.js';
import { scratchDir } from '../support/scratch.js';

describe('--templates and "Template" in run messages', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = scratchDir('dd-templates-');
    const { image } = services();
    writeFileSync(
      join(dir, 'echo.json'),
      JSON.stringify({
        Image: image,
        Cmd: ['echo', 'from-template'],
        Options: { Attach: ['STDOUT'], Remove: true, Labels: { origin: 'template' } },
      }),
    );
    writeFileSync(join(dir, 'broken.json'), JSON.stringify({ Image: image, Options: { Bogus: 1 } }));
    h = await startHarness('dd-tmpl', ['--templates', dir]);
  });
  afterAll(async () => {
    await h?.cleanup();
  });

  it('runs a message that names a template, with its Options merged key by key', async () => {
    const name = unique('tmpl');
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'run', Template: 'echo', Options: { Name: name } });
    expect(body).toMatchObject({ Status: 'ok', Container: { Name: name }, ExitCode: 0, Stdout: 'from-template\n' });
  });

  it("lets the message's own fields win over the template's", async () => {
    const { body } = await h.broker.request(h.queue, {
      Dockercmd: 'run',
      Template: 'echo',
      Cmd: ['echo', 'own'],
      Options: { Attach: ['STDOUT', 'STDERR'] },
    });
    expect(body).toMatchObject({ Status: 'ok', Stdout: 'own\n', Stderr: '' });
  });

  it('refuses an unknown template as InvalidMessage naming it, dead-lettered', async () => {
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'run', Template: 'nope' });
    expect(body).toMatchObject({ Dockercmd: 'run', Status: 'error', Error: { Code: 'InvalidMessage' } });
    expect(body.Error?.Message).toContain('Template "nope" is not a known template (known: broken, echo)');
    await h.broker.take(h.deadLetterQueue);
  });

  it('validates the merged message like any other', async () => {
    const { body } = await h.broker.request(h.queue, { Dockercmd: 'run', Template: 'broken' });
    expect(body).toMatchObject({ Status: 'error', Error: { Code: 'InvalidMessage' } });
    expect(body.Error?.Message).toContain('Options.Bogus is not a known field');
    await h.broker.take(h.deadLetterQueue);
  });

  it('send and validate check a templated message as the worker will when given --templates', async () => {
    const message = JSON.stringify({ Dockercmd: 'run', Template: 'echo' });
    const sent = await runClient(['send', '-q', h.queue, '--templates', dir, h.amqpUrl, message]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('| from-template');
    expect((await runClient(['validate', '--templates', dir, '-'], message)).code).toBe(0);
    const without = await runClient(['validate', '-'], message);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('Template "echo" is not a known template');
    const broken = await runClient([
      'send',
      '-q',
      h.queue,
      '--templates',
      dir,
      h.amqpUrl,
      JSON.stringify({ Dockercmd: 'run', Template: 'broken' }),
    ]);
    expect(broken.code).toBe(2);
  });

  it('refuses to start with a --templates directory that cannot be read', async () => {
    const { amqpUrl, hostA } = services();
    const worker = WorkerProcess.spawn(['--templates', '/no/such/dir', hostA, amqpUrl]);
    expect(await worker.exited).toBe(1);
    expect(worker.stderr).toContain('cannot read the --templates directory /no/such/dir');
  });

  it('sent only replies that validate against reply.schema.json', () => {
    expect(h.broker.invalidReplies).toEqual([]);
  });
});
