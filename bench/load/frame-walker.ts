// Counts whole messages in a stream of server (unmasked) frames by reading headers and skipping payloads
// (RFC 6455 section 5.2) — for replies whose size is not known in advance, such as compressed ones.
// Optionally keeps the first `capture` messages' payloads for a later content check.
export interface CapturedMessage {
  compressed: boolean;
  payload: Buffer;
}

export class FrameWalker {
  messages = 0;
  bytes = 0;
  readonly captured: CapturedMessage[] = [];
  /** Header bytes split across chunks wait here (a header is at most 14 bytes). */
  private header: Buffer = Buffer.alloc(0);
  private payloadLeft = 0;
  private frameFinal = false;
  private frameIsData = false;
  private messageCompressed = false;
  private parts: Buffer[] | null = null;

  constructor(private readonly capture = 0) {}

  feed(chunk: Buffer): void {
    this.bytes += chunk.length;
    let position = 0;
    while (position < chunk.length) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, chunk.length - position);
        if (this.parts !== null && this.frameIsData)
          this.parts.push(chunk.subarray(position, position + take));
        this.payloadLeft -= take;
        position += take;
        if (this.payloadLeft === 0) this.endFrame();
        continue;
      }
      position = this.readHeader(chunk, position);
    }
  }

  /** Parses a header starting at `position` (joining a split one); returns the position after it. */
  private readHeader(chunk: Buffer, position: number): number {
    let source = chunk;
    let start = position;
    if (this.header.length > 0) {
      source = Buffer.concat([this.header, chunk.subarray(position, position + 14)]);
      start = 0;
    }
    const available = source.length - start;
    if (available < 2) return this.keepHeader(source, start, chunk, position);
    const first = source[start] as number;
    const second = source[start + 1] as number;
    let length = second & 0x7f;
    let size = 2 + (second & 0x80 ? 4 : 0);
    if (length === 126) size += 2;
    else if (length === 127) size += 8;
    if (available < size) return this.keepHeader(source, start, chunk, position);
    if (length === 126) length = source.readUInt16BE(start + 2);
    else if (length === 127) length = Number(source.readBigUInt64BE(start + 2));
    const consumedFromChunk = size - this.header.length;
    this.header = Buffer.alloc(0);
    const opcode = first & 0x0f;
    this.frameFinal = (first & 0x80) !== 0;
    this.frameIsData = opcode < 0x8;
    if (this.frameIsData && opcode !== 0x0) {
      this.messageCompressed = (first & 0x40) !== 0;
      if (this.captured.length < this.capture) this.parts = [];
    }
    this.payloadLeft = length;
    if (length === 0) this.endFrame();
    return position + consumedFromChunk;
  }

  private keepHeader(source: Buffer, start: number, chunk: Buffer, position: number): number {
    this.header = Buffer.from(source.subarray(start));
    return position + (chunk.length - position);
  }

  private endFrame(): void {
    if (!this.frameIsData || !this.frameFinal) return;
    this.messages++;
    if (this.parts !== null) {
      this.captured.push({ compressed: this.messageCompressed, payload: Buffer.concat(this.parts) });
      this.parts = null;
    }
  }
}
