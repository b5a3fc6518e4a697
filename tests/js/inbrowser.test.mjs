// static/js/inbrowser.js: whether the crowd model crops as the page's own model does, from the two
// manifests' `input`, one inlined in the page (keys sorted) and one fetched (the file's order).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { sameJson } from '../../static/js/inbrowser.js';

const input = { shape: [48, 48, 1], gray_weights: [0.299, 0.587, 0.114], framing: { blazeface: { crop_scale: 1.208, crop_offset: [0.008, -0.06] } } };

test('the same input with its keys in another order is the same', () => {
  const sorted = { framing: { blazeface: { crop_offset: [0.008, -0.06], crop_scale: 1.208 } }, gray_weights: [0.299, 0.587, 0.114], shape: [48, 48, 1] };
  assert.notEqual(JSON.stringify(sorted), JSON.stringify(input));
  assert.ok(sameJson(sorted, input));
  assert.ok(sameJson(input, sorted));
});

test('another size, framing, order of values or a missing key is not the same', () => {
  assert.ok(!sameJson({ ...input, shape: [64, 64, 1] }, input));
  assert.ok(!sameJson({ ...input, framing: { blazeface: { crop_scale: 1.2, crop_offset: [0.008, -0.06] } } }, input));
  assert.ok(!sameJson({ ...input, gray_weights: [0.114, 0.587, 0.299] }, input));
  const { framing, ...rest } = input;
  assert.ok(!sameJson(rest, input) && !sameJson(input, rest));
  assert.ok(!sameJson({ ...input, extra: null }, input));
  assert.ok(!sameJson([1, 2], { 0: 1, 1: 2 }) && !sameJson(null, {}) && !sameJson('1', 1));
});
