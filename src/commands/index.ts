import type { CommandMessage, Dockercmd } from '../messages/types.js';
import type { CommandHandler, CommandResult, CommandContext } from './context.js';
import { hosts } from './hosts.js';
import { remove } from './remove.js';
import { run } from './run.js';
import { stop } from './stop.js';

type Handlers = { [K in Dockercmd]: CommandHandler<Extract<CommandMessage, { Dockercmd: K }>> };

/** One handler per Dockercmd; a test checks it matches the command schemas in schemas/. */
export const COMMANDS: Handlers = { run, stop, remove, hosts };

/** Carries out a validated message with its command's handler. */
export function execute(message: CommandMessage, ctx: CommandContext): Promise<CommandResult> {
  const handler = COMMANDS[message.Dockercmd] as CommandHandler<CommandMessage>;
  return handler(message, ctx);
}
