import { describe, expect, it } from 'vitest';
import { withBrokerHint, withEngineHint } from '../../src/cli/hints.js';

describe('start-up errors say what to do', () => {
  it('for RabbitMQ', () => {
    expect(withBrokerHint('cannot connect to RabbitMQ at amqp://h:5672: connect ECONNREFUSED 127.0.0.1:5672')).toMatch(
      /is RabbitMQ running/,
    );
    expect(
      withBrokerHint(
        'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"',
      ),
    ).toMatch(/check the user and password/);
    expect(
      withBrokerHint(
        'Handshake terminated by server: 530 (NOT-ALLOWED) with message "NOT_ALLOWED - vhost nope not found"',
      ),
    ).toMatch(/vhost in the URL exists/);
    expect(
      withBrokerHint(
        'cannot connect to RabbitMQ at amqp://u:***@h/nope: Expected ConnectionOpenOk; got <ConnectionClose channel:0>',
      ),
    ).toMatch(/vhost in the URL exists/);
    expect(withBrokerHint('getaddrinfo ENOTFOUND rabit')).toBe(
      'getaddrinfo ENOTFOUND rabit (hint: the host name does not resolve: check it)',
    );
    expect(withBrokerHint('something else entirely')).toBe('something else entirely');
  });

  it('for Docker engines', () => {
    expect(withEngineHint('a (/var/run/docker.sock): connect EACCES /var/run/docker.sock')).toMatch(
      /permission on the Docker socket/,
    );
    expect(withEngineHint('a (/nope.sock): connect ENOENT /nope.sock')).toMatch(/is dockerd running/);
    expect(withEngineHint('b (10.0.0.5:2375): connect ECONNREFUSED 10.0.0.5:2375')).toMatch(/dockerd -H tcp:/);
    expect(withEngineHint('b (10.0.0.5:2375): no answer within 5 s')).toMatch(/firewall/);
  });
});
