import { WebSocketError } from '../errors.js';

/** The longest topic name, in characters (all ASCII, so also bytes). */
export const MAX_TOPIC_LENGTH = 200;

// Letters, digits and `_ - . : @ / = ~`: safe in a URL path (the plain endpoint), in a Redis key and
// in a NATS subject token after escaping, and free of JSON escapes and whitespace.
const TOPIC_PATTERN = /^[A-Za-z0-9_\-.:@/=~]+$/;

/**
 * Why `name` is not a valid topic name, or undefined when it is. Rules: 1 to MAX_TOPIC_LENGTH
 * characters from `A-Z a-z 0-9 _ - . : @ / = ~`, not starting or ending with `/`, no `//`.
 */
export function topicNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'a topic name must be a string';
  if (name.length === 0) return 'a topic name must not be empty';
  if (name.length > MAX_TOPIC_LENGTH) return `a topic name is at most ${MAX_TOPIC_LENGTH} characters`;
  if (!TOPIC_PATTERN.test(name)) return 'a topic name uses only A-Z a-z 0-9 _ - . : @ / = ~';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) {
    return 'a topic name must not start or end with / nor contain //';
  }
  return undefined;
}

/** Throws WebSocketError(ERR_INVALID_ARGUMENT) for an invalid topic name (see topicNameProblem). */
export function checkTopicName(name: unknown): asserts name is string {
  const problem = topicNameProblem(name);
  if (problem) throw new WebSocketError('ERR_INVALID_ARGUMENT', `${problem}: ${JSON.stringify(name)}`);
}
