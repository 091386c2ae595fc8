import { DEFAULT_RETRY_MAX } from '../messages/cross-field.js';
import type { CommandResult, RunMessage } from '../messages/types.js';

/** One attempt of a run with Options.Retry: the container it ran in and how it exited. */
export interface Attempt {
  ExitCode: number;
  Host: string;
  Container: { Id: string; Name?: string };
}

/** An attempt as the retry copy's header carries it: of an instance (1-based) of an Instances run, or of the run. */
export interface RecordedAttempt extends Attempt {
  Instance?: number;
}

/** An attempt that ended with a listed exit code and is retried: which one it was (1 for the first). */
export interface RetriedAttempt extends RecordedAttempt {
  Attempt: number;
}

/** What becomes of a run with Options.Retry once its attempt(s) ended. */
export interface ExitRetry {
  /** Another attempt is due: the message goes to the retry queue. */
  retry: boolean;
  /** The attempts that ended now and get another (one per instance retried, for an Instances run). */
  retried: RetriedAttempt[];
  /** For the retry copy's header: the earlier attempts and those being retried now. */
  recorded: RecordedAttempt[];
  /** For the reply: every attempt of the run, or of each instance (index 0 for instance 1), oldest first. */
  attempts: Attempt[];
  instanceAttempts: Attempt[][];
}

/**
 * Retry by exit code (Options.Retry), decided from the attempts so far (`previous`, from the retry copy's header) and
 * what this delivery's run came to. A run, or each instance of an Instances run on its own, is retried when its
 * container exited with a listed code and it has had fewer than Max retries. Pure: the worker carries it out.
 */
export function decideExitRetry(message: RunMessage, result: CommandResult, previous: RecordedAttempt[]): ExitRetry {
  const retry = message.Options?.Retry;
  const codes = new Set(retry?.ExitCodes ?? []);
  const max = retry?.Max ?? DEFAULT_RETRY_MAX;
  const strip = ({ Instance: _instance, ...attempt }: RecordedAttempt): Attempt => attempt;
  const due = (earlier: number, exitCode: number | undefined) =>
    retry !== undefined && exitCode !== undefined && codes.has(exitCode) && earlier < max;

  if (message.Instances === undefined) {
    const earlier = previous.filter((a) => a.Instance === undefined);
    const current = attemptOf(result.ExitCode, result.Host, result.Container);
    const attempts = [...earlier.map(strip), ...(current ? [current] : [])];
    const again = due(earlier.length, current?.ExitCode);
    return {
      retry: again,
      retried: again ? [{ ...current!, Attempt: earlier.length + 1 }] : [],
      recorded: again ? [...previous, current!] : previous,
      attempts,
      instanceAttempts: [],
    };
  }
  const retried: RetriedAttempt[] = [];
  const recorded = [...previous];
  const instanceAttempts = (result.Containers ?? []).map((c, index) => {
    const n = index + 1;
    const earlier = previous.filter((a) => a.Instance === n);
    const current = attemptOf(c.ExitCode, c.Host, c.Id === '' ? undefined : { Id: c.Id, Name: c.Name });
    if (current && due(earlier.length, current.ExitCode)) {
      retried.push({ Instance: n, Attempt: earlier.length + 1, ...current });
      recorded.push({ Instance: n, ...current });
    }
    return [...earlier.map(strip), ...(current ? [current] : [])];
  });
  return { retry: retried.length > 0, retried, recorded, attempts: [], instanceAttempts };
}

function attemptOf(
  exitCode: number | undefined,
  host: string | undefined,
  container: { Id: string; Name?: string } | undefined,
): Attempt | undefined {
  if (exitCode === undefined || host === undefined || container === undefined) return undefined;
  return { ExitCode: exitCode, Host: host, Container: container };
}

/** The attempts a retry copy's header lists; a header of another shape (not written by a worker) is ignored. */
export function readAttempts(header: unknown): RecordedAttempt[] {
  if (typeof header !== 'string') return [];
  let value: unknown;
  try {
    value = JSON.parse(header);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value.filter(
    (a): a is RecordedAttempt =>
      a !== null &&
      typeof a === 'object' &&
      Number.isInteger((a as RecordedAttempt).ExitCode) &&
      typeof (a as RecordedAttempt).Host === 'string' &&
      typeof (a as RecordedAttempt).Container?.Id === 'string' &&
      ((a as RecordedAttempt).Instance === undefined || Number.isInteger((a as RecordedAttempt).Instance)),
  );
}
