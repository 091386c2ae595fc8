/**
 * What to do about the failures people meet first, appended to the one-line start-up errors. Only advice: matched
 * on the text the libraries give, never used to decide what happens to a message.
 */
const BROKER_HINTS: [RegExp, string][] = [
  [
    /ACCESS[-_]REFUSED|\b403\b/,
    'RabbitMQ refused the login: check the user and password in the URL; its guest user may only log in from localhost',
  ],
  [
    /NOT[-_]ALLOWED|vhost|Expected ConnectionOpenOk/i,
    'RabbitMQ closed the connection as it opened: check that the vhost in the URL ' +
      'exists and the user may use it (rabbitmqctl list_vhosts, list_permissions)',
  ],
  [
    /ECONNREFUSED/,
    'nothing listens there: is RabbitMQ running, on that host and port? Its default port is 5672, 5671 for amqps',
  ],
  [/ENOTFOUND|EAI_AGAIN/, 'the host name does not resolve: check it'],
  [/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/, 'no answer: check the host, the port and any firewall between'],
  [
    /ECONNRESET|socket hang up|EPROTO|wrong version number/i,
    'the connection was cut at once: amqps:// to a plain port, or amqp:// to a TLS port?',
  ],
];

const ENGINE_HINTS: [RegExp, string][] = [
  [
    /EACCES|permission denied/i,
    'no permission on the Docker socket: run as root or as a member of its ' +
      'group, usually docker; in a container, add that group with --group-add',
  ],
  [/ENOENT/, 'no socket at that path: is dockerd running, and is the path right?'],
  [/ECONNREFUSED/, 'nothing listens there: is dockerd running and listening on that address, e.g. dockerd -H tcp://…?'],
  [/ENOTFOUND|EAI_AGAIN/, 'the host name does not resolve: check it'],
  [
    /no answer within|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/,
    'no answer: check the address, the port and any firewall between',
  ],
  [
    /ECONNRESET|socket hang up|EPROTO/i,
    'the connection was cut: https:// to a plain port, or tcp:// to a TLS port such as 2376?',
  ],
];

function hint(text: string, hints: [RegExp, string][]): string | undefined {
  return hints.find(([pattern]) => pattern.test(text))?.[1];
}

/** The message with advice for a failure to reach or log in to RabbitMQ, when one fits. */
export function withBrokerHint(message: string): string {
  const advice = hint(message, BROKER_HINTS);
  return advice ? `${message} (hint: ${advice})` : message;
}

/** The message with advice for an engine that does not answer, when one fits. */
export function withEngineHint(message: string): string {
  const advice = hint(message, ENGINE_HINTS);
  return advice ? `${message} (hint: ${advice})` : message;
}
