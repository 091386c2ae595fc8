import { COMMANDS } from '../commands/index.js';

/** The `command` label: a known Dockercmd, else `unknown` (a bad message can name anything; labels stay few). */
export function commandLabel(dockercmd: string | undefined): string {
  return dockercmd !== undefined && Object.hasOwn(COMMANDS, dockercmd) ? dockercmd : 'unknown';
}

/** Every value the `command` label can take. */
export function commandLabels(): string[] {
  return [...Object.keys(COMMANDS), 'unknown'];
}
