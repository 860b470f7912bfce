// BufferBudget (src/connection/buffer-budget.ts): the counts both ways, and shedLargest() over members.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BudgetMember, BufferBudget } from '../../../src/connection/buffer-budget.js';

class Member implements BudgetMember {
  heldBytes: number;
  shedWith: { code: number; reason: string } | null = null;
  readonly #budget: BufferBudget;
  constructor(budget: BufferBudget, heldBytes: number) {
    this.#budget = budget;
    this.heldBytes = heldBytes;
    budget.join(this);
    budget.chargeInbound(heldBytes);
  }
  shed(code: number, reason: string): void {
    this.shedWith = { code, reason };
    this.#budget.chargeInbound(-this.heldBytes);
    this.heldBytes = 0;
    this.#budget.leave(this);
  }
}

describe('BufferBudget', () => {
  test('outbound and inbound charges add up in `used`; `usedInbound` is the inbound part', () => {
    const budget = new BufferBudget(100);
    budget.charge(40);
    budget.chargeInbound(50);
    assert.equal(budget.used, 90);
    assert.equal(budget.usedInbound, 50);
    assert.equal(budget.exceeded, false);
    budget.chargeInbound(11);
    assert.equal(budget.exceeded, true, 'exceeded means used > limit');
    budget.chargeInbound(-61);
    budget.charge(-40);
    assert.equal(budget.used, 0);
    assert.equal(budget.usedInbound, 0);
  });

  test('shedLargest() closes the biggest holders (inbound bytes count) until back under the limit', () => {
    const budget = new BufferBudget(100);
    const small = new Member(budget, 30);
    const large = new Member(budget, 60);
    const middle = new Member(budget, 40);
    assert.equal(budget.used, 130);
    assert.equal(budget.shedLargest(), 1);
    assert.deepEqual(large.shedWith, { code: 1013, reason: 'server over its memory budget' });
    assert.equal(middle.shedWith, null);
    assert.equal(small.shedWith, null);
    assert.equal(budget.used, 70);
    assert.equal(budget.shedLargest(), 0, 'not exceeded: nothing to do');
  });

  test('limits and close codes are checked', () => {
    assert.throws(() => new BufferBudget(-1), { code: 'ERR_INVALID_ARGUMENT' });
    assert.throws(() => new BufferBudget(1, { closeCode: 1000 }), { code: 'ERR_INVALID_ARGUMENT' });
  });
});
