/**
 * Labels the worker puts on every container it creates, so later tools (and later versions of the worker) can find
 * them. Messages may not set keys under this prefix.
 */
export const LABEL_PREFIX = 'docker-dispatch.';

export const LABELS = {
  /** Marks a container as created by docker-dispatch. Value: "true". */
  managed: `${LABEL_PREFIX}managed`,
  /** The queue the message came from. */
  queue: `${LABEL_PREFIX}queue`,
  /** The message's identity (message_id, else correlation_id, else an id the worker generated). */
  messageId: `${LABEL_PREFIX}message-id`,
  /** On each container of a run with Instances: the run message's identity (the container's own is `<it>-<n>`). */
  instanceOf: `${LABEL_PREFIX}instance-of`,
  /** The engine id the worker chose, as in replies. */
  host: `${LABEL_PREFIX}host`,
} as const;
