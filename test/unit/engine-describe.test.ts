import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEngineEntry } from '../../src/docker/address.js';
import { Engine } from '../../src/docker/engine.js';
import { scratchPath } from '../support/scratch.js';

/** `/version` as each vendor answers it (PODMAN-NOTES.md), trimmed to what the worker reads. */
const VERSIONS = {
  docker: {
    Version: '20.10.24+dfsg1',
    ApiVersion: '1.41',
    Components: [{ Name: 'Engine' }, { Name: 'containerd' }, { Name: 'runc' }, { Name: 'docker-init' }],
  },
  podman: {
    Version: '4.3.1',
    ApiVersion: '1.41',
    Components: [{ Name: 'Podman Engine' }, { Name: 'Conmon' }, { Name: 'OCI Runtime (runc)' }],
  },
  // An engine old enough (or trimmed enough) to name no components is taken for Docker.
  bare: { Version: '19.03.1', ApiVersion: '1.40' },
};

describe('Engine.describe (vendor and versions from /version)', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function engineAnswering(body: object): Promise<Engine> {
    const socket = scratchPath(`dd-version-${process.pid}-${Date.now()}-${closers.length}.sock`);
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return new Engine(parseEngineEntry(`x=unix://${socket}`));
  }

  it.each([
    ['docker', VERSIONS.docker, { vendor: 'docker', version: '20.10.24+dfsg1', apiVersion: '1.41' }],
    ['podman', VERSIONS.podman, { vendor: 'podman', version: '4.3.1', apiVersion: '1.41' }],
    ['an engine naming no components', VERSIONS.bare, { vendor: 'docker', version: '19.03.1', apiVersion: '1.40' }],
  ])('%s', async (_what, body, expected) => {
    expect(await (await engineAnswering(body)).describe(2000)).toEqual(expected);
  });
});
