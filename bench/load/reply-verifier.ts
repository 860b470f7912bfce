// Checks that a byte stream is exactly one expected reply frame repeated: for fixed-size echo and
// fan-out every reply is the same bytes (the server's unmasked frame, or the raw echo's copy of ours).
export class ReplyVerifier {
  private offset = 0;
  mismatches = 0;

  constructor(private readonly reply: Buffer) {}

  feed(chunk: Buffer): void {
    const reply = this.reply;
    let position = 0;
    while (position < chunk.length) {
      const length = Math.min(chunk.length - position, reply.length - this.offset);
      if (chunk.compare(reply, this.offset, this.offset + length, position, position + length) !== 0) {
        this.mismatches++;
      }
      position += length;
      this.offset = (this.offset + length) % reply.length;
    }
  }
}
