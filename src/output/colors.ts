/** ANSI foreground colors for container names, as docker compose cycles through them (no red: that means error). */
const PALETTE = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94] as const;

const RESET = '\u001b[0m';

/**
 * Whether stdout gets colors: only on a terminal, and never when NO_COLOR is set to anything but the empty string
 * (https://no-color.org).
 */
export function useColor(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  const noColor = env.NO_COLOR;
  return isTTY === true && (noColor === undefined || noColor === '');
}

/** The SGR code of a container name: the same name always gets the same color, in every run. */
export function colorCodeFor(name: string): number {
  // FNV-1a: cheap, stable across runs and versions (unlike a seeded hash).
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return PALETTE[hash % PALETTE.length]!;
}

export function paint(text: string, code: number): string {
  return `\u001b[${code}m${text}${RESET}`;
}

export const GREEN = 32;
export const RED = 31;
