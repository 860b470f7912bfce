/**
 * RFC 6455 section 5.2 opcodes as a closed set of numbers (no enum: the values are the wire bytes).
 */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** Section 5.5: control frames have the most significant opcode bit set (0x8-0xF). */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** Section 5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved; a frame using them fails the connection. */
export function isKnownOpcode(opcode: number): opcode is Opcode {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xa);
}
