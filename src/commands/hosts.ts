import type { HostsMessage } from '../messages/types.js';
import type { CommandHandler } from './context.js';

/**
 * The worker's engines: name, address (no secrets), labels, health, running containers, capacity and version, from each
 * engine's loop (no call to the engines).
 */
export const hosts: CommandHandler<HostsMessage> = (_message, ctx) => Promise.resolve({ Hosts: ctx.pool.snapshot() });
