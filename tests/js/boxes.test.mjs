// static/js/boxes.js: the overlap that matches faces from frame to frame and drops duplicate boxes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { iou } from '../../static/js/boxes.js';

test('a box overlaps itself fully and a distant box not at all', () => {
  const box = { x: 10, y: 20, w: 30, h: 40 };
  assert.equal(iou(box, box), 1);
  assert.equal(iou(box, { x: 100, y: 100, w: 30, h: 40 }), 0);
});

test('half a box shifted sideways overlaps by a third, either way round', () => {
  const a = { x: 0, y: 0, w: 10, h: 10 };
  const b = { x: 5, y: 0, w: 10, h: 10 };
  assert.ok(Math.abs(iou(a, b) - 50 / 150) < 1e-12);
  assert.equal(iou(a, b), iou(b, a));
});

test('empty boxes give 0, not NaN', () => {
  assert.equal(iou({ x: 0, y: 0, w: 0, h: 0 }, { x: 0, y: 0, w: 0, h: 0 }), 0);
});
