import type Docker from 'dockerode';
import { DispatchError } from '../errors.js';
import type { RunMessage } from '../messages/types.js';
import { imagePattern, normalizeImage } from './image-ref.js';
import { formatBytes, parseBytes } from './sizes.js';

/** What the operator decides about every container, whatever a message says. */
export interface PolicyConfig {
  /** Globs over normalized image references; empty: every image is allowed (with a warning at start-up). */
  allowImages: readonly string[];
  defaults: { memoryBytes?: number; cpus?: number; pidsLimit?: number };
  maxima: { memoryBytes?: number; cpus?: number; pidsLimit?: number };
  /** The user containers run as, unless a message may set its own. */
  user?: string;
  allowUserOverride: boolean;
  /** Read-only root filesystem, with a tmpfs on /tmp. */
  readOnly: boolean;
  capDropAll: boolean;
  networkMode?: string;
}

const denied = (message: string) => new DispatchError('Denied', message);

/**
 * The security policy: which images may run, what limits containers get, and the hardening every container gets.
 * The message can ask for limits within the maxima and nothing else; everything else is the operator's.
 */
export class Policy {
  private readonly patterns: RegExp[];

  constructor(readonly config: PolicyConfig) {
    this.patterns = config.allowImages.map(imagePattern);
  }

  get allowsEveryImage(): boolean {
    return this.patterns.length === 0;
  }

  /** Throws Denied unless the image matches an --allow-image rule (or there are none). */
  checkImage(image: string): void {
    if (this.allowsEveryImage) return;
    const normalized = normalizeImage(image);
    if (!this.patterns.some((p) => p.test(normalized))) {
      throw denied(`image ${image} (${normalized}) is not allowed by this worker's --allow-image rules`);
    }
  }

  /**
   * The container settings for a run (or create): the image check, the user, the limits (the message's within the
   * maxima, else the defaults, else the maxima) and the hardening. Throws Denied for anything the policy refuses.
   */
  containerSettings(message: RunMessage): { User?: string; HostConfig: Docker.HostConfig } {
    this.checkImage(message.Image);
    const options = message.Options ?? {};
    if (options.User !== undefined && !this.config.allowUserOverride) {
      throw denied(
        'Options.User is not allowed: this worker chooses the user (--user; --allow-user-override lets messages choose)',
      );
    }
    const { maxima, defaults } = this.config;
    // n.b. a maximum without a default is the default: a message that asks for nothing gets the most it could ask for,
    // never an unlimited container.
    let memory = defaults.memoryBytes ?? maxima.memoryBytes;
    if (options.Memory !== undefined) {
      memory = parseBytes(options.Memory);
      if (memory === undefined)
        throw new DispatchError(
          'InvalidMessage',
          `Options.Memory must be bytes or a size like 512m, not ${JSON.stringify(options.Memory)}`,
        );
      if (maxima.memoryBytes !== undefined && memory > maxima.memoryBytes) {
        throw denied(
          `Options.Memory ${formatBytes(memory)} is above this worker's --max-memory ${formatBytes(maxima.memoryBytes)}`,
        );
      }
    }
    const cpus = options.Cpus ?? defaults.cpus ?? maxima.cpus;
    if (options.Cpus !== undefined && maxima.cpus !== undefined && options.Cpus > maxima.cpus) {
      throw denied(`Options.Cpus ${options.Cpus} is above this worker's --max-cpus ${maxima.cpus}`);
    }
    const pids = options.PidsLimit ?? defaults.pidsLimit ?? maxima.pidsLimit;
    if (options.PidsLimit !== undefined && maxima.pidsLimit !== undefined && options.PidsLimit > maxima.pidsLimit) {
      throw denied(
        `Options.PidsLimit ${options.PidsLimit} is above this worker's --max-pids-limit ${maxima.pidsLimit}`,
      );
    }
    const hostConfig: Docker.HostConfig = {
      Privileged: false,
      SecurityOpt: ['no-new-privileges'],
      PublishAllPorts: false,
      IpcMode: 'private',
      ...(this.config.networkMode ? { NetworkMode: this.config.networkMode } : {}),
      ...(this.config.capDropAll ? { CapDrop: ['ALL'] } : {}),
      ...(this.config.readOnly ? { ReadonlyRootfs: true, Tmpfs: { '/tmp': 'rw,nosuid,nodev,size=64m' } } : {}),
      // n.b. swap equal to memory: no swap beyond the memory limit.
      ...(memory === undefined ? {} : { Memory: memory, MemorySwap: memory }),
      ...(cpus === undefined ? {} : { NanoCpus: Math.round(cpus * 1e9) }),
      ...(pids === undefined ? {} : { PidsLimit: pids }),
    };
    const user = options.User ?? this.config.user;
    return { ...(user === undefined ? {} : { User: user }), HostConfig: hostConfig };
  }
}

/** A network mode the operator may not choose either: sharing the host's namespaces. */
export function forbiddenNetworkMode(mode: string | undefined): boolean {
  return mode === 'host' || (mode?.startsWith('container:') ?? false);
}
