// static/js/budget.js: what a frame has room for, from running estimates of its costs.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FRAME_BUDGET_MS, createViewsBudget } from '../../static/js/budget.js';

test('nothing fits before one pass has been timed', () => {
  const budget = createViewsBudget();
  assert.equal(budget.fits(1), false);
  assert.equal(budget.passesThatFit(0), 0);
});

test('the views fit while a frame with two passes a face stays within the budget', () => {
  const budget = createViewsBudget(); // 33.3 ms
  budget.record({ faces: 1, views: false, classifyMs: 5, restMs: 20 });
  assert.equal(budget.fits(1), true); // 20 + 2 * 5
  assert.equal(budget.fits(2), false); // 20 + 4 * 5
});

test("the rechecks fill the frame's wait for the screen; the views do not count on it", () => {
  // Four faces at 4 ms a pass after 10 ms of the crowd model's; 24 ms of the rest of a frame, of
  // which 12 ms waiting for the screen.
  const waiting = createViewsBudget();
  waiting.record({ faces: 1, views: false, classifyMs: 4, restMs: 24, idle: 12 });
  assert.equal(waiting.passesThatFit(10), Math.floor((FRAME_BUDGET_MS - 12 - 10) / 4)); // 2
  assert.equal(waiting.fits(2), false); // 24 + 16 > 33.3: the views keep to the screen's rhythm
  const busy = createViewsBudget();
  busy.record({ faces: 1, views: false, classifyMs: 4, restMs: 24 }); // no wait measured: all of it busy
  assert.equal(busy.passesThatFit(10), 0);
});

test('a wait longer than the rest of the frame counts as the whole rest, never as a gain', () => {
  const budget = createViewsBudget();
  budget.record({ faces: 1, views: false, classifyMs: 4, restMs: 8, idle: 30 });
  assert.equal(budget.passesThatFit(0), Math.floor(FRAME_BUDGET_MS / 4));
});

test('the estimates follow the frames: a view counts as two passes, and newer frames weigh 0.2', () => {
  const budget = createViewsBudget(100);
  budget.record({ faces: 2, views: true, classifyMs: 40, restMs: 50 }); // 10 ms a pass
  budget.record({ faces: 1, views: false, classifyMs: 20, restMs: 50 }); // 20: the estimate moves to 12
  assert.equal(budget.passesThatFit(0), Math.floor((100 - 50) / 12));
  budget.record({ faces: 0, classifyMs: 99, restMs: 50 }); // no face: the pass estimate stays
  assert.equal(budget.passesThatFit(0), 4);
});
