import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { describe, test } from 'node:test';
import { workerSchedulingPolicy } from '../../../src/cli/commands/serve-workers.js';

describe('serve --workers scheduling policy', () => {
  test('by default every worker accepts from the shared socket (no hand-over through the primary)', () => {
    assert.equal(workerSchedulingPolicy({}), cluster.SCHED_NONE);
  });

  test("NODE_CLUSTER_SCHED_POLICY, Node's own switch, is left to decide", () => {
    assert.equal(workerSchedulingPolicy({ NODE_CLUSTER_SCHED_POLICY: 'rr' }), undefined);
    assert.equal(workerSchedulingPolicy({ NODE_CLUSTER_SCHED_POLICY: 'none' }), undefined);
  });
});
