/* eslint-disable */
// Generated from schemas/ by scripts/gen-types.mjs: do not edit by hand.

// hosts-file.schema.json
/**
 * The --hosts file: the engines a worker dispatches to, beyond what the <dockerHost> argument can say. Re-read on SIGHUP.
 */
export type HostsFile = {
  /**
   * The engine's id in replies, logs and Options.Host.
   */
  Name: string;
  /**
   * Any form <dockerHost> accepts: host:port, tcp://, http://, https://, unix:///path or /path.
   */
  Address: string;
  /**
   * Labels that Options.Constraints match against.
   */
  Labels?: {
    [k: string]: string | undefined;
  };
  /**
   * Capacity: most containers created by docker-dispatch running there at once (counted from the engine). Absent: no limit.
   */
  MaxContainers?: number;
  /**
   * Files for an https:// engine: the CA that signed its certificate, and this worker's client certificate and key.
   */
  Tls?: {
    Ca?: string;
    Cert?: string;
    Key?: string;
  };
}[];

// hosts.schema.json
/**
 * List the worker's engines: name, address, labels, health, running containers, capacity and version.
 */
export interface HostsMessage {
  Dockercmd: 'hosts';
}

// remove.schema.json
/**
 * Remove a container, like `docker rm`. The container is looked up on every engine by exact name, full id or unique id prefix.
 */
export interface RemoveMessage {
  Dockercmd: 'remove';
  /**
   * Container name, full id, or unique id prefix.
   */
  Container: string;
  Options?: {
    /**
     * Also remove the container's anonymous volumes (`docker rm -v`).
     */
    Volumes?: boolean;
    /**
     * Kill and remove a running container (`docker rm -f`). Without it, removing a running container is a Conflict.
     */
    Force?: boolean;
  };
}

// reply.schema.json
/**
 * The one reply the worker publishes for every message it consumes: to the message's reply_to (with its correlation_id, or its message_id when it has none), else to the reply queue.
 */
export interface Reply {
  /**
   * The command, as the message named it. Absent when the message named none (for example invalid JSON).
   */
  Dockercmd?: string;
  /**
   * `ok` when the command was carried out (a container that exits non-zero is still `ok`), `error` otherwise.
   */
  Status: 'ok' | 'error';
  /**
   * The message's message_id property, else its correlation_id, else an id the worker generated (also used in the container's labels and the logs).
   */
  MessageId: string;
  /**
   * Id of the engine the command ran on: its name when the operator gave one, else its address as written.
   */
  Host?: string;
  Container?: {
    /**
     * Full container id.
     */
    Id: string;
    /**
     * Container name, without the leading slash.
     */
    Name?: string;
  };
  /**
   * The container's exit code, when the run was waited for (Options.Attach or Options.Remove).
   */
  ExitCode?: number;
  /**
   * Everything the container wrote on stdout, when STDOUT was attached.
   */
  Stdout?: string;
  /**
   * Everything the container wrote on stderr, when STDERR was attached.
   */
  Stderr?: string;
  /**
   * true when Stdout or Stderr was cut to the worker's --max-output bytes per stream (the end of the output is kept).
   */
  Truncated?: boolean;
  /**
   * Present exactly when Status is `error`.
   */
  Error?: {
    Code:
      | 'InvalidJson'
      | 'InvalidMessage'
      | 'Denied'
      | 'ImageNotFound'
      | 'ContainerNotFound'
      | 'Conflict'
      | 'NoMatchingHost'
      | 'Timeout'
      | 'DockerUnavailable'
      | 'DockerError';
    Message: string;
  };
  /**
   * Problems that did not stop the command, for example a container that could not be removed after it exited.
   */
  Warnings?: string[];
  /**
   * The hosts command: one entry per engine.
   */
  Hosts?: {
    Name: string;
    /**
     * As configured; never carries secrets.
     */
    Address: string;
    Labels: {
      [k: string]: string | undefined;
    };
    /**
     * false while quarantined after failed pings.
     */
    Healthy: boolean;
    /**
     * Containers created by docker-dispatch running there now, counted from the engine; null when it could not be asked.
     */
    Running: number | null;
    /**
     * MaxContainers, when set.
     */
    Capacity?: number;
    /**
     * The engine's version, when it answered.
     */
    Version?: string;
  }[];
}

// run.schema.json
/**
 * Create a container from Image and start it, like `docker run`. With Options.Attach or Options.Remove the worker waits for the exit and replies with the exit code (and the attached output); otherwise it replies once the container has started.
 */
export interface RunMessage {
  Dockercmd: 'run';
  /**
   * Image reference, for example `busybox` or `registry.example.com/team/app:1.2`. It must already be on the chosen engine.
   */
  Image: string;
  /**
   * Command and arguments, as in the image's CMD. Omitted: the image's default.
   */
  Cmd?: string[];
  Options?: {
    /**
     * Container name; must be unused on the chosen engine. Omitted: the engine picks one.
     */
    Name?: string;
    /**
     * Overrides the image's ENTRYPOINT.
     */
    Entrypoint?: string[];
    /**
     * Streams to attach. STDOUT and STDERR are collected (kept apart) into the reply and printed. STDIN is accepted for compatibility: messages carry no input, so the container's stdin is empty.
     */
    Attach?: ('STDIN' | 'STDOUT' | 'STDERR')[];
    /**
     * Remove the container (and its anonymous volumes) after it exits, like `docker run --rm`. The worker waits for the exit.
     */
    Remove?: boolean;
    /**
     * Environment variables, each `KEY=value`.
     */
    Env?: string[];
    /**
     * Container labels. Keys starting with `docker-dispatch.` are reserved for the worker.
     */
    Labels?: {
      [k: string]: string | undefined;
    };
    /**
     * Working directory inside the container.
     */
    WorkingDir?: string;
    /**
     * User (name, uid, or uid:gid) the command runs as; only if the worker allows it (--allow-user-override), else Denied.
     */
    User?: string;
    /**
     * Seconds the container may run. When they pass it is stopped (SIGTERM, then SIGKILL after 10 s) and the reply is an error with code Timeout, the exit code and the output so far; Remove still removes it. Setting it makes the worker wait for the exit.
     */
    Timeout?: number;
    /**
     * Pin the run to the engine with this name (an unknown name is InvalidMessage).
     */
    Host?: string;
    /**
     * Run only on engines whose labels include all of these; none matching is NoMatchingHost.
     */
    Constraints?: {
      [k: string]: string | undefined;
    };
    /**
     * Memory limit: bytes, or a size like 512m or 1g. Swap is limited to the same (no extra swap). Above the worker's --max-memory is Denied; absent: --default-memory.
     */
    Memory?: number | string;
    /**
     * CPUs, decimal (1.5 = one and a half). Above --max-cpus is Denied; absent: --default-cpus.
     */
    Cpus?: number;
    /**
     * Most processes in the container. Above --max-pids-limit is Denied; absent: --default-pids-limit.
     */
    PidsLimit?: number;
  };
}

// stop.schema.json
/**
 * Stop a container, like `docker stop`: SIGTERM, then SIGKILL after Options.Time seconds. The container is looked up on every engine by exact name, full id or unique id prefix.
 */
export interface StopMessage {
  Dockercmd: 'stop';
  /**
   * Container name, full id, or unique id prefix.
   */
  Container: string;
  Options?: {
    /**
     * Seconds to wait after SIGTERM before killing. Default 10; 0 kills at once.
     */
    Time?: number;
  };
}
