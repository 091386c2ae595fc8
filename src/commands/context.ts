import type { Logger } from 'pino';
import type { EnginePool } from '../docker/pool.js';
import type { Reply } from '../messages/types.js';
import type { Output } from '../output/output.js';

/** What a command needs from the worker to carry out one message. */
export interface CommandContext {
  pool: EnginePool;
  /** The message's identity, as in the reply and the container's labels. */
  messageId: string;
  /** The queue the message came from, for the container's labels. */
  queue: string;
  /** The operator's network mode for new containers (`HostConfig.NetworkMode`); unset: the engine's default. */
  networkMode: string | undefined;
  output: Output;
  log: Logger;
}

/** The reply fields a command fills in; the worker adds Dockercmd, Status, MessageId and Error. */
export type CommandResult = Pick<Reply, 'Host' | 'Container' | 'ExitCode' | 'Stdout' | 'Stderr' | 'Warnings'>;

export type CommandHandler<M> = (message: M, ctx: CommandContext) => Promise<CommandResult>;

/** Docker reports names with a leading slash; replies and output use them without. */
export function containerName(name: string): string {
  return name.replace(/^\//, '');
}
