// The HTTP `token` rule and comma-separated token lists (RFC 9110 5.6.1, 5.6.2), shared by the
// handshake and the extension header.

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
//       / DIGIT / ALPHA  (RFC 9110 5.6.2)
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}

/** Whether the character code is a tchar. */
export function isTokenChar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** Whether `value` is a non-empty HTTP token. */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    if (!isTokenChar(value.charCodeAt(i))) return false;
  }
  return true;
}

/** Removes optional whitespace (SP / HTAB, RFC 9110 5.6.3) from both ends. */
export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

export function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * Splits a `#token` list. Empty elements ("a, , b") are ignored as RFC 9110 5.6.1 asks of recipients.
 * Returns null when an element is not a token.
 */
export function parseTokenList(value: string): string[] | null {
  const tokens: string[] = [];
  for (const element of value.split(',')) {
    const item = trimOws(element);
    if (item.length === 0) continue;
    if (!isToken(item)) return null;
    tokens.push(item);
  }
  return tokens;
}

/** Whether the comma-separated list holds `token`, compared case-insensitively (Upgrade, Connection). */
export function listHasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const wanted = token.toLowerCase();
  for (const element of value.split(',')) {
    if (trimOws(element).toLowerCase() === wanted) return true;
  }
  return false;
}
