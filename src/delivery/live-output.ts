import { StringDecoder } from 'node:string_decoder';
import type { RunOutput } from '../messages/types.js';
import type { OutputSource, StreamName, StreamSink } from '../output/output.js';

export interface LiveOutputOptions {
  /**
   * Least time between two output messages of one stream.
   * @default 100
   */
  intervalMs?: number;
  /**
   * Most bytes of Data in one output message; a stream that writes more in one interval loses the oldest (Skipped).
   * @default 65536
   */
  maxBytes?: number;
}

export const LIVE_OUTPUT_INTERVAL_MS = 100;
export const LIVE_OUTPUT_MAX_BYTES = 64 * 1024;

/**
 * A run's attached output as it comes, batched into output messages (Options.Stream): per container stream at most
 * one every `intervalMs` with at most `maxBytes` of Data, so a container printing a flood costs the broker a bounded
 * rate and the worker bounded memory. Seq numbers them from 1 over every stream of the job, in publishing order. The
 * end of a stream is published at once, so its last output precedes the final reply.
 */
export class LiveOutput {
  private seq = 0;
  private readonly intervalMs: number;
  private readonly maxBytes: number;

  constructor(
    private readonly messageId: string,
    private readonly publish: (message: RunOutput) => void,
    { intervalMs = LIVE_OUTPUT_INTERVAL_MS, maxBytes = LIVE_OUTPUT_MAX_BYTES }: LiveOutputOptions = {},
  ) {
    this.intervalMs = intervalMs;
    this.maxBytes = maxBytes;
  }

  /** A sink for one stream of one container. */
  sink(source: OutputSource, stream: StreamName): StreamSink {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let skipped = 0;
    let decoder = new StringDecoder('utf8');
    let timer: NodeJS.Timeout | undefined;
    let lastSentAt = -Infinity;
    let ended = false;

    const flush = (last: boolean) => {
      clearTimeout(timer);
      timer = undefined;
      let data = pendingBytes > 0 ? decoder.write(Buffer.concat(pending, pendingBytes)) : '';
      if (last) data += decoder.end();
      pending = [];
      pendingBytes = 0;
      if (data === '' && skipped === 0) return;
      const message: RunOutput = { MessageId: this.messageId, Seq: ++this.seq, Stream: stream, Data: data };
      if (skipped > 0) message.Skipped = skipped;
      message.Host = source.host;
      message.Container = source.container;
      skipped = 0;
      lastSentAt = performance.now();
      this.publish(message);
    };

    return {
      write: (chunk: Buffer) => {
        if (ended || chunk.length === 0) return;
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes > this.maxBytes) {
          // n.b. keep the newest bytes; a character cut at the new start decodes as U+FFFD, and Skipped says why.
          let drop = pendingBytes - this.maxBytes;
          skipped += drop;
          pendingBytes = this.maxBytes;
          while (drop > 0) {
            const first = pending[0]!;
            if (first.length <= drop) {
              pending.shift();
              drop -= first.length;
            } else {
              pending[0] = first.subarray(drop);
              drop = 0;
            }
          }
          decoder = new StringDecoder('utf8');
        }
        timer ??= setTimeout(() => flush(false), Math.max(0, lastSentAt + this.intervalMs - performance.now()));
      },
      end: () => {
        if (ended) return;
        ended = true;
        flush(true);
      },
    };
  }
}
