import { describe, expect, it } from 'vitest';
import { AddressError, parseEngineList } from '../../src/docker/address.js';

describe('parseEngineList', () => {
  it.each([
    ['10.0.0.5:2375', { kind: 'tcp', protocol: 'http', host: '10.0.0.5', port: 2375 }],
    ['docker.example.com:2375', { kind: 'tcp', protocol: 'http', host: 'docker.example.com', port: 2375 }],
    ['tcp://127.0.0.1:23751', { kind: 'tcp', protocol: 'http', host: '127.0.0.1', port: 23751 }],
    ['tcp://docker.local', { kind: 'tcp', protocol: 'http', host: 'docker.local', port: 2375 }],
    ['http://127.0.0.1:80', { kind: 'tcp', protocol: 'http', host: '127.0.0.1', port: 80 }],
    ['https://engine:2376', { kind: 'tcp', protocol: 'https', host: 'engine', port: 2376 }],
    ['https://engine:443', { kind: 'tcp', protocol: 'https', host: 'engine', port: 443 }],
    ['https://engine', { kind: 'tcp', protocol: 'https', host: 'engine', port: 2376 }],
    ['[::1]:2375', { kind: 'tcp', protocol: 'http', host: '::1', port: 2375 }],
    ['unix:///var/run/docker.sock', { kind: 'socket', socketPath: '/var/run/docker.sock' }],
    ['/var/run/docker.sock', { kind: 'socket', socketPath: '/var/run/docker.sock' }],
  ])('reads %s', (written, address) => {
    expect(parseEngineList(written)).toEqual([{ id: written, address, written, labels: {} }]);
  });

  it('uses the name as the id when one is given, else the address exactly as written', () => {
    const specs = parseEngineList('a=unix:///var/run/docker.sock, tcp://10.0.0.5:2375 ,b=10.0.0.6:2375');
    expect(specs.map((s) => s.id)).toEqual(['a', 'tcp://10.0.0.5:2375', 'b']);
    expect(specs[2]!.address).toEqual({ kind: 'tcp', protocol: 'http', host: '10.0.0.6', port: 2375 });
  });

  it.each([
    ['', /no Docker host given/],
    ['a=/x.sock,,b=/y.sock', /empty entry at position 2/],
    ['a=/x.sock,a=/y.sock', /"a" is given twice/],
    ['/x.sock,/x.sock', /"\/x.sock" is given twice/],
    ['docker.local', /"docker.local": expected host:port \(the port is required\)/],
    ['ftp://host:21', /unknown scheme "ftp:\/\/"/],
    ['unix://relative.sock', /absolute path/],
    ['tcp://host:2375/path', /no path/],
    ['tcp://user:pw@host:2375', /credentials/],
    ['host:99999', /"host:99999"/],
    ['bad name=/x.sock', /invalid Docker host name "bad name"/],
    ['a=', /the address is empty/],
  ])('refuses %j', (written, message) => {
    expect(() => parseEngineList(written)).toThrow(AddressError);
    expect(() => parseEngineList(written)).toThrow(message);
  });
});
