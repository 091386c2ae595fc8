import { normalizeImage } from '../docker/image-ref.js';

// n.b. the reference form lives in src/docker (what engines are handed); the policy matches its patterns against it.
export { normalizeImage };

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
