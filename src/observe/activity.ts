import type { Reply } from '../messages/types.js';
import { redact } from '../redact.js';
import type { FinishedMessage, Placement, ReceivedMessage, Settlement, WorkerObserver } from './observer.js';
import { Throughput } from './throughput.js';

/** A message being worked on. */
export interface InProgress {
  messageId: string;
  command: string | undefined;
  image: string | undefined;
  host: string | undefined;
  container: string | undefined;
  /** ms since the epoch */
  receivedAt: number;
}

/** A message done with, as the status page lists it. */
export interface RecentResult {
  messageId: string;
  command: string | undefined;
  image: string | undefined;
  host: string | undefined;
  container: string | undefined;
  settlement: Settlement;
  /** The reply's Status, when there was a reply. */
  status: Reply['Status'] | undefined;
  exitCode: number | undefined;
  error: { code: string; message: string } | undefined;
  durationMs: number | undefined;
  finishedAt: number;
  /** The first lines of the attached streams, when there were any. */
  stdout: string | undefined;
  stderr: string | undefined;
}

export interface ActivityOptions {
  /** @default 50 */
  maxRecent?: number;
  /** @default 10 */
  outputLines?: number;
  /** @default 2000 */
  outputChars?: number;
  throughput?: Throughput;
  now?: () => number;
}

/**
 * What the worker is doing and has just done, for the status page: messages in progress, the most recent results
 * (with the first lines of their output), counts since the start and a throughput series. Bounded in size.
 */
export class Activity {
  readonly observer: WorkerObserver;
  readonly throughput: Throughput;
  private readonly running = new Set<InProgress>();
  private readonly recent: RecentResult[] = [];
  readonly totals: Record<Settlement | 'received', number> = {
    received: 0,
    ok: 0,
    'dead-lettered': 0,
    cancelled: 0,
    retried: 0,
    'handed-over': 0,
    error: 0,
  };

  constructor(options: ActivityOptions = {}) {
    const { maxRecent = 50, outputLines = 10, outputChars = 2000, now = Date.now } = options;
    this.throughput = options.throughput ?? new Throughput();
    const head = (text: string | undefined) =>
      text === undefined ? undefined : firstLines(redact(text), outputLines, outputChars);
    this.observer = {
      received: (message: ReceivedMessage) => {
        this.totals.received += 1;
        const job: InProgress = {
          messageId: message.messageId,
          command: clip(message.dockercmd),
          image: clip(message.image, 200),
          host: undefined,
          container: undefined,
          receivedAt: now(),
        };
        this.running.add(job);
        return {
          started: ({ host, container }: Placement) => {
            job.host = host;
            job.container = container.Name ?? container.Id.slice(0, 12);
          },
          replied: () => undefined,
          finished: ({ settlement, reply, durationMs }: FinishedMessage) => {
            this.running.delete(job);
            this.totals[settlement] += 1;
            const finishedAt = now();
            this.throughput.add(settlement, finishedAt);
            this.recent.unshift({
              messageId: job.messageId,
              command: job.command,
              image: job.image,
              host: reply?.Host ?? job.host,
              container: reply?.Container ? (reply.Container.Name ?? reply.Container.Id.slice(0, 12)) : job.container,
              settlement,
              status: reply?.Status,
              exitCode: reply?.ExitCode,
              error: reply?.Error ? { code: reply.Error.Code, message: redact(reply.Error.Message) } : undefined,
              durationMs,
              finishedAt,
              stdout: head(reply?.Stdout),
              stderr: head(reply?.Stderr),
            });
            this.recent.length = Math.min(this.recent.length, maxRecent);
          },
        };
      },
    };
  }

  /** Messages in progress, oldest first. */
  inProgress(): InProgress[] {
    return [...this.running].map((job) => ({ ...job }));
  }

  /** Most recent results, newest first. */
  recentResults(): RecentResult[] {
    return [...this.recent];
  }
}

/** The first `lines` lines of `text`, at most `chars` characters, with `…` when cut. */
export function firstLines(text: string, lines: number, chars: number): string {
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  let head = all.slice(0, lines).join('\n');
  let cut = all.length > lines;
  if (head.length > chars) {
    head = head.slice(0, chars);
    cut = true;
  }
  return cut ? `${head}\n…` : head;
}

/** A value from a message, short enough to show. */
function clip(value: string | undefined, max = 40): string | undefined {
  return value !== undefined && value.length > max ? `${value.slice(0, max)}…` : value;
}
