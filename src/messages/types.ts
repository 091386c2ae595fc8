import type { HostsMessage, RemoveMessage, Reply, RunMessage, StopMessage } from './contract.generated.js';

export type { HostsFile, HostsMessage, RemoveMessage, Reply, RunMessage, StopMessage } from './contract.generated.js';

/** Any valid command message (one per schema in schemas/ except the reply's). */
export type CommandMessage = RunMessage | StopMessage | RemoveMessage | HostsMessage;

export type Dockercmd = CommandMessage['Dockercmd'];

/** The reply fields a command fills in; the worker adds Dockercmd, Status, MessageId and Error. */
export type CommandResult = Pick<Reply, 'Host' | 'Container' | 'ExitCode' | 'Stdout' | 'Stderr' | 'Truncated' | 'Warnings' | 'Hosts'>;
