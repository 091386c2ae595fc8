/* eslint-disable */
// Generated from schemas/ by scripts/gen-types.mjs: do not edit by hand.

// attempt.schema.json
/**
 * An attempt of a run with Options.Retry that exited with a listed code and is retried: published to the run message's reply_to (when it has one) with its correlation_id and the AMQP type `run.attempt`, before the retry. Transient (not persisted). The final reply lists every attempt in Attempts.
 */
export interface RunAttempt {
  /**
   * The run message's identity, as in its reply.
   */
  MessageId: string;
  /**
   * Which attempt ended: 1 for the first (the container's DOCKER_DISPATCH_ATTEMPT).
   */
  Attempt: number;
  /**
   * For a run with Instances: which instance (from 1).
   */
  Instance?: number;
  ExitCode: number;
  /**
   * The engine the attempt ran on.
   */
  Host: string;
  Container: {
    Id: string;
    /**
     * Without the leading slash.
     */
    Name?: string;
  };
}

// cancel.schema.json
/**
 * Cancel the message whose identity (its message_id, else its correlation_id) is MessageId, wherever it is: a run in progress on any engine is stopped (SIGTERM, then SIGKILL after Options.Time seconds) and answered Cancelled with its exit code and output so far; a message waiting for room, still queued or delivered later (to any worker, for 24 hours) is answered Cancelled without being carried out. The cancel's own reply says what it found: Cancelled (the containers stopped) or Pending.
 */
export interface CancelMessage {
  Dockercmd: 'cancel';
  /**
   * The identity of the message to cancel: its message_id, else its correlation_id (what its reply's MessageId says). At most 255 characters, as AMQP's message_id.
   */
  MessageId: string;
  Options?: {
    /**
     * Seconds a running container gets between SIGTERM and SIGKILL. Default 10; 0 kills at once. At most 86400 (a day).
     */
    Time?: number;
  };
}

// create.schema.json
/**
 * Create a container from Image without starting it, like `docker create`, on the engine the placement picks (Options.Host, Options.Constraints, the strategy). The reply has Container and Host; start it with the start command.
 */
export interface CreateMessage {
  Dockercmd: 'create';
  /**
   * Image reference, for example `busybox` or `registry.example.com/team/app:1.2`. Pulled onto the chosen engine when it lacks it (see Options.Pull).
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
     * User (name, uid, or uid:gid) the command runs as.
     */
    User?: string;
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
     * Most processes in the container. Above --max-pids-limit is Denied; absent: --default-pids-limit. At most 4194304, the kernel's own limit.
     */
    PidsLimit?: number;
    /**
     * When to pull the image onto the chosen engine first: `missing` (default) when the engine lacks it, `always`, or `never` (a missing image is then ImageNotFound). A pull that fails is ImageNotFound with the registry's reason.
     */
    Pull?: 'missing' | 'always' | 'never';
  };
}

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
   * Capacity: most containers created by docker-dispatch running there at once (counted from the engine's inventory; checked with the engine itself after each create). Absent: no limit.
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

// images.schema.json
/**
 * List the images on every engine, like `docker images` on each. An engine that cannot be asked is named in the reply's Unreachable.
 */
export interface ImagesMessage {
  Dockercmd: 'images';
}

// inspect.schema.json
/**
 * Reply with the engine's document about a container (`docker inspect`), as Inspect. The container is looked up on every engine by exact name, full id or unique id prefix.
 */
export interface InspectMessage {
  Dockercmd: 'inspect';
  /**
   * Container name, full id, or unique id prefix: letters, digits, `_`, `.` and `-`, starting with a letter or digit (a leading `/`, as Docker prints names, is allowed).
   */
  Container: string;
}

// kill.schema.json
/**
 * Send a signal to a running container, like `docker kill`. A container that is not running is a Conflict. The container is looked up on every engine by exact name, full id or unique id prefix.
 */
export interface KillMessage {
  Dockercmd: 'kill';
  /**
   * Container name, full id, or unique id prefix: letters, digits, `_`, `.` and `-`, starting with a letter or digit (a leading `/`, as Docker prints names, is allowed).
   */
  Container: string;
  Options?: {
    /**
     * Signal name (`SIGTERM`, `TERM`, `HUP`) or number. Default SIGKILL.
     */
    Signal?: string;
  };
}

// list.schema.json
/**
 * List containers across all engines, like `docker ps` on each. An engine that cannot be asked is named in the reply's Unreachable, never silently left out.
 */
export interface ListMessage {
  Dockercmd: 'list';
  Options?: {
    /**
     * Also stopped (and created) containers. Default: running ones only.
     */
    All?: boolean;
    /**
     * Only containers carrying all of these labels with these values.
     */
    Labels?: {
      [k: string]: string | undefined;
    };
    /**
     * Only containers docker-dispatch created (label docker-dispatch.managed=true).
     */
    Managed?: boolean;
  };
}

// logs.schema.json
/**
 * Reply with a container's logs so far (`docker logs`, not followed), stdout and stderr apart, each cut to the worker's --max-output bytes (the end is kept). The container is looked up on every engine by exact name, full id or unique id prefix.
 */
export interface LogsMessage {
  Dockercmd: 'logs';
  /**
   * Container name, full id, or unique id prefix: letters, digits, `_`, `.` and `-`, starting with a letter or digit (a leading `/`, as Docker prints names, is allowed).
   */
  Container: string;
  Options?: {
    /**
     * Only the last N lines of each stream. Default: all.
     */
    Tail?: number;
    /**
     * Only lines written at or after this time, in seconds since the Unix epoch.
     */
    Since?: number;
    /**
     * Start each line with its RFC 3339 timestamp.
     */
    Timestamps?: boolean;
  };
}

// output.schema.json
/**
 * Live output of a run with Options.Stream: published to the run message's reply_to with its correlation_id and the AMQP type `run.output`, while the container runs, before the final reply (type `run.reply`). Transient (not persisted). At most one per container stream every 100 ms, each with at most 64 KiB of the container's bytes (as UTF-8 text in Data; bytes that are not UTF-8 become U+FFFD); output written faster than that is skipped (Skipped says how much) but still reaches the final reply's Stdout/Stderr within --max-output.
 */
export interface RunOutput {
  /**
   * The run message's identity, as in its reply.
   */
  MessageId: string;
  /**
   * 1 for the first output message of a delivery, then one more for each (no gaps, in order, over both streams and every instance). A run adopted by another worker (a redelivery after a crash, a hand-over) starts again at 1 and replays the container's output from its start.
   */
  Seq: number;
  Stream: 'stdout' | 'stderr';
  /**
   * The bytes the container wrote on that stream since the previous output message of the stream, as UTF-8 text (a character split between two messages is kept whole in the second).
   */
  Data: string;
  /**
   * Bytes of this stream left out just before Data, because the container wrote faster than the stream's rate (absent when none).
   */
  Skipped?: number;
  /**
   * The engine the container runs on.
   */
  Host?: string;
  /**
   * The container's name (its short id when it has none), as the worker prints it.
   */
  Container?: string;
}

// pull.schema.json
/**
 * Pull an image onto every engine (or Options.Host), like `docker pull`, following each pull to its end. A failure on any engine is PullFailed, with the registry's reason; the reply's Pulled lists the engines where it succeeded.
 */
export interface PullMessage {
  Dockercmd: 'pull';
  /**
   * Image reference, e.g. `busybox`, `registry.example.com:5000/team/app:1.2` or `app@sha256:…`. Without a tag: `latest`.
   */
  Image: string;
  Options?: {
    /**
     * Pull on the engine with this name only (an unknown name is InvalidMessage). Default: every engine.
     */
    Host?: string;
    /**
     * Registry credentials, sent to the engine only: never logged, echoed or put in a reply.
     */
    Auth?: {
      Username?: string;
      Password?: string;
      /**
       * The registry, e.g. `registry.example.com:5000`. Default: the image's.
       */
      ServerAddress?: string;
    };
  };
}

// remove.schema.json
/**
 * Remove a container, like `docker rm`. The container is looked up on every engine by exact name, full id or unique id prefix.
 */
export interface RemoveMessage {
  Dockercmd: 'remove';
  /**
   * Container name, full id, or unique id prefix: letters, digits, `_`, `.` and `-`, starting with a letter or digit (a leading `/`, as Docker prints names, is allowed).
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
   * The container's exit code: for a run that was waited for (Options.Attach or Options.Remove), and for wait.
   */
  ExitCode?: number;
  /**
   * A run with Options.Retry: every attempt (each its own container), oldest first; the last is the one ExitCode reports. A container kept (no Remove) is named here.
   */
  Attempts?: {
    ExitCode: number;
    /**
     * The engine the attempt ran on.
     */
    Host: string;
    Container: {
      Id: string;
      /**
       * Without the leading slash.
       */
      Name?: string;
    };
  }[];
  /**
   * Everything the container wrote on stdout, when STDOUT was attached (run) or its logs were asked for (logs).
   */
  Stdout?: string;
  /**
   * Everything the container wrote on stderr, when STDERR was attached (run) or its logs were asked for (logs).
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
      | 'PullFailed'
      | 'DockerUnavailable'
      | 'DockerError'
      | 'Cancelled'
      | 'DeliveryLimit';
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
     * Containers created by docker-dispatch running there now, from the engine's inventory (its event stream); null while the engine is quarantined or its inventory not synced.
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
    /**
     * What serves the engine's API, from its /version (a `Podman Engine` component: podman), when it answered.
     */
    Vendor?: 'docker' | 'podman';
  }[];
  /**
   * The inspect command: the engine's document about the container, as `docker inspect` prints it.
   */
  Inspect?: {};
  /**
   * The list command's containers, or the instances of a run with Instances (in instance order).
   */
  Containers?: {
    /**
     * The engine's id.
     */
    Host: string;
    Id: string;
    /**
     * Without the leading slash.
     */
    Name?: string;
    Image?: string;
    /**
     * created, running, paused, restarting, removing, exited or dead.
     */
    State?: string;
    /**
     * As `docker ps` shows it, e.g. `Up 3 minutes`.
     */
    Status?: string;
    Labels?: {
      [k: string]: string | undefined;
    };
    /**
     * A run instance's exit code, when the run was waited for.
     */
    ExitCode?: number;
    /**
     * A run instance with Options.Retry: its attempts, oldest first.
     */
    Attempts?: {
      ExitCode: number;
      /**
       * The engine the attempt ran on.
       */
      Host: string;
      Container: {
        Id: string;
        /**
         * Without the leading slash.
         */
        Name?: string;
      };
    }[];
    /**
     * A run instance's attached stdout.
     */
    Stdout?: string;
    /**
     * A run instance's attached stderr.
     */
    Stderr?: string;
    /**
     * Why this run instance failed (the others may have succeeded).
     */
    Error?: {
      Code: string;
      Message: string;
    };
  }[];
  /**
   * The images command: images on every engine.
   */
  Images?: {
    /**
     * The engine's id.
     */
    Host: string;
    Id: string;
    RepoTags: string[];
    /**
     * Bytes.
     */
    Size: number;
  }[];
  /**
   * list and images: engines that could not be asked (their reasons are in Warnings); what they hold is missing from the reply.
   */
  Unreachable?: string[];
  /**
   * The pull command: the engines the image was pulled onto (on an error, those where it succeeded).
   */
  Pulled?: {
    Host: string;
    Image: string;
    /**
     * The image id on that engine.
     */
    Id: string;
  }[];
  /**
   * The cancel command: the containers of the cancelled message that were found running (or created) and stopped, each with its engine.
   */
  Cancelled?: {
    /**
     * The engine's id.
     */
    Host: string;
    Container: {
      Id: string;
      /**
       * Without the leading slash.
       */
      Name?: string;
    };
  }[];
  /**
   * The cancel command: true when no container of the message was found running; the message will be answered Cancelled when it is delivered (by any worker, for 24 hours), or it was answered already.
   */
  Pending?: boolean;
}

// restart.schema.json
/**
 * Restart a container, like `docker restart`: stop it (SIGTERM, then SIGKILL after Options.Time seconds) and start it again. The container is looked up on every engine by exact name, full id or unique id prefix.
 */
export interface RestartMessage {
  Dockercmd: 'restart';
  /**
   * Container name, full id, or unique id prefix: letters, digits, `_`, `.` and `-`, starting with a letter or digit (a leading `/`, as Docker prints names, is allowed).
   */
  Container: string;
  Options?: {
    /**
     * Seconds to wait after SIGTERM before killing. Default 10; 0 kills at once. At most 86400 (a day).
     */
    Time?: number;
  };
}

// run.schema.json
/**
 * Create a container from Image and start it, like `docker run`. With Options.Attach or Options.Remove the worker waits for the exit and replies with the exit code (and the attached output); otherwise it replies once the container has started.
 */
export interface RunMessage {
  Dockercmd: 'run';
  /**
   * Name of a template from the worker's --templates directory (a partial run message): merged in before validation, the message's own fields winning and Options merging key by key. An unknown name is InvalidMessage.
   */
  Template?: string;
  /**
   * Image reference, for example `busybox` or `registry.example.com/team/app:1.2`. Pulled onto the chosen engine when it lacks it (see Options.Pull).
   */
  Image: string;
  /**
   * Command and arguments, as in the image's CMD. Omitted: the image's default.
   */
  Cmd?: string[];
  /**
   * Start this many containers (1-100) from the one message, spread over the eligible engines by the placement strategy. The reply carries Containers (each Host, Id, Name, and ExitCode when waited) instead of Container; with Options.Name each is named <Name>-1 … <Name>-N.
   */
  Instances?: number;
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
     * Publish the attached output live while the container runs, as output messages (schemas/output.schema.json, AMQP type run.output) on the message's reply_to with its correlation_id, before the final reply. Needs Attach with STDOUT or STDERR and a reply_to property, else InvalidMessage.
     */
    Stream?: boolean;
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
     * Seconds the container may run. When they pass it is stopped (SIGTERM, then SIGKILL after 10 s) and the reply is an error with code Timeout, the exit code and the output so far; Remove still removes it. Setting it makes the worker wait for the exit. At most 31536000 (365 days).
     */
    Timeout?: number;
    /**
     * Retry the run when its container exits with one of ExitCodes: the message goes through the retry queue (--retry-delay) and the next attempt is a fresh container, whose environment has DOCKER_DISPATCH_ATTEMPT=<n> (1 for the first). After Max retries, or on an exit code not listed, the run is answered as usual, with the last attempt's ExitCode and Attempts listing every attempt. Makes the worker wait for the exit. With Instances, each instance is retried alone, and Max × Instances is at most 100.
     */
    Retry?: {
      /**
       * Exit codes (1-255) that mean a transient failure worth another attempt, e.g. 75 (EX_TEMPFAIL) or 137 (killed).
       *
       * @minItems 1
       * @maxItems 32
       */
      ExitCodes: [number, ...number[]];
      /**
       * Most retries (so at most Max + 1 attempts): 1-10, default 3.
       */
      Max?: number;
    };
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
     * Most processes in the container. Above --max-pids-limit is Denied; absent: --default-pids-limit. At most 4194304, the kernel's own limit.
     */
    PidsLimit?: number;
    /**
     * When to pull the image onto the chosen engine first: `missing` (default) when the engine lacks it, `always`, or `never` (a missing image is then ImageNotFound). A pull that fails is ImageNotFound with the registry's reason.
     */
    Pull?: 'missing' | 'always' | 'never';
  };
}

// start.schema.json
/**
 * Start a created or stopped container, like `docker start`. Starting a running container is not an error. The container is looked up on every engine by exact name, full id or unique id prefix.
 */
export interface StartMessage {
  Dockercmd: 'start';
  /**
   * Container name, full id, or unique id prefix: letters, digits, `_`, `.` and `-`, starting with a letter or digit (a leading `/`, as Docker prints names, is allowed).
   */
  Container: string;
}

// stop.schema.json
/**
 * Stop a container, like `docker stop`: SIGTERM, then SIGKILL after Options.Time seconds. The container is looked up on every engine by exact name, full id or unique id prefix.
 */
export interface StopMessage {
  Dockercmd: 'stop';
  /**
   * Container name, full id, or unique id prefix: letters, digits, `_`, `.` and `-`, starting with a letter or digit (a leading `/`, as Docker prints names, is allowed).
   */
  Container: string;
  Options?: {
    /**
     * Seconds to wait after SIGTERM before killing. Default 10; 0 kills at once. At most 86400 (a day).
     */
    Time?: number;
  };
}

// wait.schema.json
/**
 * Wait until a container stops, like `docker wait`, and reply with its ExitCode. A container that is not running answers at once with its last exit code. There is no deadline: the message stays unacked until the container stops. The container is looked up on every engine by exact name, full id or unique id prefix.
 */
export interface WaitMessage {
  Dockercmd: 'wait';
  /**
   * Container name, full id, or unique id prefix: letters, digits, `_`, `.` and `-`, starting with a letter or digit (a leading `/`, as Docker prints names, is allowed).
   */
  Container: string;
}
