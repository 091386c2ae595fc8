/**
 * Secrets the process must never print: passwords of the AMQP URLs and engine addresses. Every line the process
 * writes to stderr goes through `redact`, so a library that puts a URL into an error message cannot leak one.
 */
const secrets = new Set<string>();

export const REDACTED = '***';

/** Remembers a secret (and its URL-decoded form) so `redact` hides it. */
export function addSecret(secret: string): void {
  if (secret.length < 3) return; // n.b. hiding "a" everywhere would garble logs and still not protect it.
  const forms = [secret];
  try {
    forms.push(decodeURIComponent(secret));
  } catch {
    // Not URL-encoded: the raw form is enough.
  }
  // n.b. JSON log lines (and pretty ones) escape quotes and backslashes: hide the escaped form too.
  for (const form of forms) secrets.add(form).add(JSON.stringify(form).slice(1, -1));
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  return out;
}

/** The URL with its password replaced, for messages: `amqp://guest:***@host:5672/vhost`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = REDACTED;
    return parsed.toString();
  } catch {
    return redact(url);
  }
}
