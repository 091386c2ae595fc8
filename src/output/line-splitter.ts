/** Longest partial line kept before it is printed anyway, so a container that never prints a newline stays bounded. */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Cuts a byte stream into lines (without their "\n"), keeping a partial line until it is completed or `end()` is
 * called. Works on bytes so a UTF-8 character split across chunks is not garbled.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly onLine: (line: string) => void) {}

  write(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.pending.push(chunk.subarray(start, nl));
      this.flush();
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pending.push(rest);
      this.pendingBytes += rest.length;
      if (this.pendingBytes >= MAX_LINE_BYTES) this.flush();
    }
  }

  /** Prints what is left of a last line with no newline. */
  end(): void {
    if (this.pendingBytes > 0) this.flush();
  }

  private flush(): void {
    const line = Buffer.concat(this.pending).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}
