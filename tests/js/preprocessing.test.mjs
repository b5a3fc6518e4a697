// static/js/preprocessing.js: the page's face preprocessing, step by step (tests/browser/test_modules.py
// checks it against the server's OpenCV path on real faces).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cropGray, cropRect, preprocessFace, resizeArea, scale } from '../../static/js/preprocessing.js';

test('the crop is a square on the box centre, its side the longer edge times cropScale', () => {
  assert.deepEqual(cropRect({ x: 100, y: 50, w: 40, h: 60 }, 1), { x: 90, y: 50, w: 60, h: 60 });
  assert.deepEqual(cropRect({ x: 100, y: 50, w: 40, h: 40 }, 1.5), { x: 90, y: 40, w: 60, h: 60 });
});

test('gray uses the given weights, and pixels outside the frame are black', () => {
  const frame = { data: Uint8Array.of(10, 20, 30, 255, 100, 100, 100, 255), width: 2, height: 1, channels: 4 };
  const gray = cropGray(frame, { x: 0, y: 0, w: 3, h: 1 }, [1, 0, 0]);
  assert.deepEqual(Array.from(gray), [10, 100, 0]);
  const gray2 = cropGray(frame, { x: -1, y: 0, w: 2, h: 1 }, [0, 0, 1]);
  assert.deepEqual(Array.from(gray2), [0, 30]);
});

test('area resize averages the pixels each output cell covers', () => {
  const gray = Float32Array.of(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  assert.deepEqual(Array.from(resizeArea(gray, 4, 4, [2, 2])), [5, 9, 21, 25]);
  const flat = new Float32Array(9).fill(7);
  assert.ok(resizeArea(flat, 3, 3, [48, 48]).every((v) => Math.abs(v - 7) < 1e-5));
});

test('scaling and the whole face step follow the manifest\'s input block', () => {
  assert.deepEqual(Array.from(scale(Float32Array.of(0, 127.5, 255), { scale: 127.5, offset: -1 })), [-1, 0, 1]);
  const input = { shape: [2, 2, 1], scale: 255, offset: 0 };
  const face = preprocessFace(new Float32Array(16).fill(255), 4, 4, input);
  assert.deepEqual(Array.from(face), [1, 1, 1, 1]);
});
