// The broadcast phase's messages: ASCII text `SEQUENCE SENT_AT_MS ` padded to a fixed size, so every
// receiver reads when and which message it was without JSON or a shared table.

/** `sentAt` is ms on the shared clock (sharedClockMs), written with microsecond digits. */
export function stampedMessage(sequence: number, sentAt: number, size: number): string {
  const head = `${sequence} ${sentAt.toFixed(3)} `;
  return head.length >= size ? head : head + 'x'.repeat(size - head.length);
}

/** The sequence number and send time at the start of a payload, or null if it is not one of ours. */
export function readStamp(payload: Buffer): { sequence: number; sentAt: number } | null {
  const firstSpace = payload.indexOf(0x20);
  if (firstSpace <= 0) return null;
  const secondSpace = payload.indexOf(0x20, firstSpace + 1);
  if (secondSpace === -1) return null;
  const sequence = Number(payload.toString('latin1', 0, firstSpace));
  const sentAt = Number(payload.toString('latin1', firstSpace + 1, secondSpace));
  if (!Number.isInteger(sequence) || !Number.isFinite(sentAt)) return null;
  return { sequence, sentAt };
}
