/**
 * Keeps the last `maxBytes` bytes written to it, so a reply can carry a container's output however much it prints
 * while memory stays bounded. `truncated` tells whether anything was dropped.
 */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private bytes = 0;
  truncated = false;

  constructor(private readonly maxBytes: number) {}

  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    // n.b. copy: the stream may reuse its buffer, and a small slice would pin a large one.
    this.chunks.push(Buffer.from(chunk.subarray(Math.max(0, chunk.length - this.maxBytes))));
    this.bytes += Math.min(chunk.length, this.maxBytes);
    if (chunk.length > this.maxBytes) this.truncated = true;
    while (this.bytes > this.maxBytes) {
      const first = this.chunks[0]!;
      const excess = this.bytes - this.maxBytes;
      this.truncated = true;
      if (first.length <= excess) {
        this.chunks.shift();
        this.bytes -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.bytes -= excess;
      }
    }
  }

  /** The kept bytes as UTF-8; a character cut at the start by truncation is dropped rather than garbled. */
  toString(): string {
    let buffer = Buffer.concat(this.chunks);
    if (this.truncated) {
      let start = 0;
      // Skip UTF-8 continuation bytes (10xxxxxx) left by a cut through a character.
      while (start < buffer.length && start < 4 && (buffer[start]! & 0xc0) === 0x80) start++;
      buffer = buffer.subarray(start);
    }
    return buffer.toString('utf8');
  }
}
