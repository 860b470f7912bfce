/** One macrotask: the pipe delivers at most one chunk per turn. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Let the pipe deliver until `condition` holds; rejects after `turns` macrotasks. Bounded by turns,
 * not wall-clock time, so a test using it does not depend on the machine's speed.
 */
export async function until(condition: () => boolean, turns = 10_000): Promise<void> {
  for (let turn = 0; turn < turns; turn++) {
    if (condition()) return;
    await nextTurn();
  }
  throw new Error(`condition not reached in ${turns} turns`);
}
