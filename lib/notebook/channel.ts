/**
 * The wire between a kernel process and the process that drives it: length-prefixed JSON frames
 * (4-byte big-endian length, then UTF-8 JSON) on the child's fd 3, a socket pair.
 *
 * Not Node's IPC channel: that one buffers a message until its newline with no bound, so a kernel
 * that writes one endless line grows the parent's memory until it dies — and a grader's parent holds
 * a whole batch. Here a frame longer than `maxFrameBytes`, or bytes that are not a frame, end the
 * channel (the caller kills the kernel) and the parent's memory never holds more than one frame.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed = false;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onMessage: (message: unknown) => void,
    private readonly onError: (reason: string) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.failed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.buffered < 4) return;
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameBytes) return this.fail(`a message of ${(length / 1048576).toFixed(1)} MB, over the ${(this.maxFrameBytes / 1048576).toFixed(0)} MB limit`);
      if (this.buffered < 4 + length) return;
      const frame = this.take(4 + length).subarray(4);
      let message: unknown;
      try {
        message = JSON.parse(frame.toString('utf8'));
      } catch {
        return this.fail('a message that is not JSON');
      }
      if (!message || typeof message !== 'object' || Array.isArray(message)) return this.fail('a message that is not an object');
      this.onMessage(message);
      if (this.failed) return;
    }
  }

  private fail(reason: string): void {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
    this.onError(reason);
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    return Buffer.concat(this.chunks).subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}

/** One frame for `message`. */
export function encodeFrame(message: object): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}
