import type { HostsMessage } from '../messages/types.js';
import type { CommandHandler } from './context.js';

/** The worker's engines: name, address (no secrets), labels, health, running containers, capacity and version. */
export const hosts: CommandHandler<HostsMessage> = async (_message, ctx) => ({ Hosts: await ctx.pool.snapshot(ctx.requestTimeoutMs) });
