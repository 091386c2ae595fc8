import type { RemoveMessage, RunMessage, StopMessage } from './contract.generated.js';

export type { RemoveMessage, Reply, RunMessage, StopMessage } from './contract.generated.js';

/** Any valid command message (one per schema in schemas/ except the reply's). */
export type CommandMessage = RunMessage | StopMessage | RemoveMessage;

export type Dockercmd = CommandMessage['Dockercmd'];
