import type {
  CancelMessage,
  CreateMessage,
  HostsMessage,
  ImagesMessage,
  InspectMessage,
  KillMessage,
  ListMessage,
  LogsMessage,
  PullMessage,
  RemoveMessage,
  Reply,
  RestartMessage,
  RunMessage,
  StartMessage,
  StopMessage,
  WaitMessage,
} from './contract.generated.js';

export type {
  CancelMessage,
  CreateMessage,
  HostsFile,
  HostsMessage,
  ImagesMessage,
  InspectMessage,
  KillMessage,
  ListMessage,
  LogsMessage,
  PullMessage,
  RemoveMessage,
  Reply,
  RestartMessage,
  RunAttempt,
  RunMessage,
  RunOutput,
  StartMessage,
  StopMessage,
  WaitMessage,
} from './contract.generated.js';

/** Any valid command message (one per schema in schemas/ except the reply's). */
export type CommandMessage =
  | RunMessage
  | StopMessage
  | RemoveMessage
  | HostsMessage
  | CreateMessage
  | StartMessage
  | RestartMessage
  | KillMessage
  | WaitMessage
  | InspectMessage
  | LogsMessage
  | ListMessage
  | ImagesMessage
  | PullMessage
  | CancelMessage;

export type Dockercmd = CommandMessage['Dockercmd'];

/** The reply fields a command fills in; the worker adds Dockercmd, Status, MessageId and Error. */
export type CommandResult = Pick<
  Reply,
  | 'Host'
  | 'Container'
  | 'ExitCode'
  | 'Attempts'
  | 'Stdout'
  | 'Stderr'
  | 'Truncated'
  | 'Warnings'
  | 'Hosts'
  | 'Inspect'
  | 'Containers'
  | 'Images'
  | 'Unreachable'
  | 'Pulled'
  | 'Cancelled'
  | 'Pending'
>;
