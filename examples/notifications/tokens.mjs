// Signed session tokens: `PAYLOAD.SIGNATURE`, both base64url. PAYLOAD is the JSON
// `{"sub":"alice","exp":1760000000000}` (user id, expiry in milliseconds since the epoch) and
// SIGNATURE is HMAC-SHA256(secret, PAYLOAD as sent). Anyone can read a token; only a holder of the
// secret can make one, so a server that verifies it knows which user it was given to and until when.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** User ids: also the middle of topic names (`user.ID`), so only characters topics allow. */
export const USER_ID = /^[a-z0-9_-]{1,32}$/;

/** Why a token was refused; `reason` is a stable word, the message says it for people. */
export class TokenError extends Error {
  /** @param {'missing' | 'malformed' | 'bad-signature' | 'expired'} reason */
  constructor(reason, message) {
    super(message);
    this.reason = reason;
  }
}

function signature(secret, payload) {
  return createHmac('sha256', secret).update(payload).digest();
}

/** A token for `user`, valid until `expires` (ms since the epoch). */
export function signToken(secret, user, expires) {
  if (!USER_ID.test(user)) throw new TypeError(`not a user id: ${JSON.stringify(user)}`);
  const payload = Buffer.from(JSON.stringify({ sub: user, exp: expires })).toString('base64url');
  return `${payload}.${signature(secret, payload).toString('base64url')}`;
}

/** The user and expiry a valid token names; throws TokenError otherwise. */
export function verifyToken(secret, token, now = Date.now()) {
  if (!token) throw new TokenError('missing', 'no token: log in first');
  const [payload, signed, extra] = String(token).split('.');
  if (!payload || !signed || extra !== undefined) throw new TokenError('malformed', 'malformed token');
  const given = Buffer.from(signed, 'base64url');
  const expected = signature(secret, payload);
  // Compared in constant time, so the time taken tells nothing about how much of it matched.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new TokenError('bad-signature', 'token signature does not match');
  }
  let claims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('malformed', 'malformed token');
  }
  if (typeof claims?.sub !== 'string' || !USER_ID.test(claims.sub) || !Number.isFinite(claims.exp)) {
    throw new TokenError('malformed', 'malformed token');
  }
  if (claims.exp <= now) throw new TokenError('expired', 'token expired: log in again');
  return { user: claims.sub, expires: claims.exp };
}

/** The token in a request URL's query string (`?token=...`), or undefined. */
export function tokenFromUrl(url) {
  return new URL(url ?? '/', 'http://localhost').searchParams.get('token') ?? undefined;
}

/** Constant-time comparison of two secrets of any length (digests first, so lengths do not leak). */
export function sameSecret(a, b) {
  const digest = (value) => createHmac('sha256', 'compare').update(String(value)).digest();
  return timingSafeEqual(digest(a), digest(b));
}
