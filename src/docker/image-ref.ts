/** An image id, full: `sha256:` and 64 hex digits, or the 64 digits alone (Docker never takes these for a name). */
const FULL_IMAGE_ID = /^(?:sha256:)?[0-9a-f]{64}$/;

/**
 * The full form of an image reference, as `registry/repository:tag` or `registry/repository@sha256:…`, the way Docker
 * resolves it: `busybox` → `docker.io/library/busybox:latest`, `team/app:1` → `docker.io/team/app:1`,
 * `docker.io/busybox` → `docker.io/library/busybox:latest`, `localhost:5000/app` → `localhost:5000/app:latest`.
 * A full image id is left as it is. Glob characters pass through, so the policy's patterns normalize alike.
 *
 * The worker hands engines this form, the one the --allow-image policy matched: Podman resolves a short name through
 * its own search list (and names images imported without a registry `localhost/…`), so only a fully qualified
 * reference means the same image on both vendors.
 */
export function normalizeImage(reference: string): string {
  let rest = reference.trim();
  if (FULL_IMAGE_ID.test(rest)) return rest;
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
  let name: string;
  if (!hasRegistry) name = slash === -1 ? `docker.io/library/${rest}` : `docker.io/${rest}`;
  else if (first === 'docker.io' || first === 'index.docker.io') {
    // n.b. Docker Hub named outright (or by its other name): its official images are under library/ all the same.
    // A `**` pattern spans components: it is left to say which.
    const path = rest.slice(slash + 1);
    name = `docker.io/${path.includes('/') || path.includes('**') ? '' : 'library/'}${path}`;
  } else name = rest;
  const last = name.slice(name.lastIndexOf('/') + 1);
  // n.b. a pattern whose last component is a glob already says which tags it takes.
  if (!last.includes(':') && !/[*?]/.test(last) && digest === '') name += ':latest';
  return name + digest;
}
