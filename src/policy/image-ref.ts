/**
 * The full form of an image reference, as `registry/repository:tag` or `registry/repository@sha256:…`, the way the
 * engine resolves it: `busybox` → `docker.io/library/busybox:latest`, `team/app:1` → `docker.io/team/app:1`,
 * `localhost:5000/app` → `localhost:5000/app:latest`. Glob characters pass through, so patterns normalize alike.
 */
export function normalizeImage(reference: string): string {
  let rest = reference.trim();
  let digest = '';
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at);
    rest = rest.slice(0, at);
  }
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  // n.b. the first component is a registry only if it looks like a host: a dot, a port, or localhost.
  const hasRegistry = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = hasRegistry ? rest : `docker.io/${rest}`;
  if (!hasRegistry && slash === -1) name = `docker.io/library/${rest}`;
  const last = name.slice(name.lastIndexOf('/') + 1);
  // n.b. a pattern whose last component is a glob already says which tags it takes.
  if (!last.includes(':') && !/[*?]/.test(last) && digest === '') name += ':latest';
  return name + digest;
}

/** A glob over normalized references: `*` matches within one path component, `**` across them, `?` one character. */
export function imagePattern(pattern: string): RegExp {
  const normalized = normalizeImage(pattern);
  let source = '';
  for (let i = 0; i < normalized.length; i++) {
    const ch = normalized[i]!;
    if (ch === '*' && normalized[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
