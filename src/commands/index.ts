import type { CommandMessage, Dockercmd } from '../messages/types.js';
import type { CommandHandler, CommandResult, CommandContext } from './context.js';
import { cancel } from './cancel.js';
import { create } from './create.js';
import { hosts } from './hosts.js';
import { images } from './images.js';
import { inspect } from './inspect.js';
import { kill } from './kill.js';
import { list } from './list.js';
import { logs } from './logs.js';
import { pull } from './pull.js';
import { remove } from './remove.js';
import { restart } from './restart.js';
import { run } from './run.js';
import { start } from './start.js';
import { stop } from './stop.js';
import { wait } from './wait.js';

type Handlers = { [K in Dockercmd]: CommandHandler<Extract<CommandMessage, { Dockercmd: K }>> };

/** One handler per Dockercmd; a test checks it matches the command schemas in schemas/. */
export const COMMANDS: Handlers = {
  run,
  stop,
  remove,
  hosts,
  create,
  start,
  restart,
  kill,
  wait,
  inspect,
  logs,
  list,
  images,
  pull,
  cancel,
};

/** Carries out a validated message with its command's handler. */
export function execute(message: CommandMessage, ctx: CommandContext): Promise<CommandResult> {
  const handler = COMMANDS[message.Dockercmd] as CommandHandler<CommandMessage>;
  return handler(message, ctx);
}
