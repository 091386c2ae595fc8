import type { RunOutput } from '../messages/types.js';
import type { Output, StreamSink } from '../output/output.js';

/**
 * Prints a run's output messages (Options.Stream) as they come, in the worker's format (`name | line`), and says on
 * stderr what a caller should know: output skipped by the stream's rate, messages lost, a run taken over by another
 * worker (its output then starts again from the beginning).
 */
export class LivePrinter {
  private readonly sinks = new Map<string, StreamSink>();
  private lastSeq = 0;
  /** Whether any output message came: then the reply's Stdout and Stderr are not printed again. */
  received = false;

  constructor(
    private readonly output: Output,
    private readonly note: (text: string) => void,
  ) {}

  print(message: RunOutput): void {
    if (message.Seq === 1 && this.lastSeq > 0) {
      this.note('the run was taken over by another worker: its output starts again from the beginning');
      this.end();
    } else if (message.Seq > this.lastSeq + 1) {
      this.note(`${message.Seq - this.lastSeq - 1} output messages were lost (the reply has the output's end)`);
    }
    this.lastSeq = message.Seq;
    this.received = true;
    if (message.Skipped)
      this.note(
        `${message.Skipped} bytes of ${message.Container ?? 'the container'}'s ${message.Stream} were skipped: it wrote ` +
          'faster than the live output carries (the reply has the end of the output)',
      );
    const key = `${message.Host ?? ''}/${message.Container ?? ''}/${message.Stream}`;
    let sink = this.sinks.get(key);
    if (!sink) {
      const source = { messageId: message.MessageId, host: message.Host ?? '', container: message.Container ?? '' };
      sink = this.output.stream(source, message.Stream);
      this.sinks.set(key, sink);
    }
    sink.write(Buffer.from(message.Data));
  }

  /** An attempt ended and is retried (Options.Retry): the next attempt's output starts again at Seq 1. */
  nextAttempt(): void {
    this.end();
    this.lastSeq = 0;
  }

  /** Prints what is left of each stream (a last line without a newline). */
  end(): void {
    for (const sink of this.sinks.values()) sink.end();
    this.sinks.clear();
  }
}
