// static/js/detector.js's weighted NMS: what server/detectors/blazeface.py's weighted_nms does.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { rollOf, weightedNms } from '../../static/js/detector.js';

test('overlapping boxes merge into their score-weighted mean, keeping the best score', () => {
  const merged = weightedNms([
    { x: 0, y: 0, w: 10, h: 10, score: 0.9 },
    { x: 2, y: 0, w: 10, h: 10, score: 0.3 },
  ], 0.3);
  assert.equal(merged.length, 1);
  assert.equal(merged[0].score, 0.9);
  assert.ok(Math.abs(merged[0].x - 0.5) < 1e-12); // (0 * 0.9 + 2 * 0.3) / 1.2
  assert.ok(Math.abs(merged[0].w - 10) < 1e-12);
});

test('separate faces stay separate, best first', () => {
  const merged = weightedNms([
    { x: 0, y: 0, w: 10, h: 10, score: 0.6 },
    { x: 50, y: 50, w: 10, h: 10, score: 0.8 },
  ], 0.3);
  assert.deepEqual(merged.map((b) => b.score), [0.8, 0.6]);
  assert.deepEqual(merged.map((b) => b.x), [50, 0]);
});

test('nothing in, nothing out', () => {
  assert.deepEqual(weightedNms([], 0.3), []);
});

test('the eyes are averaged with the same weights as the corners', () => {
  const merged = weightedNms([
    { x: 0, y: 0, w: 10, h: 10, score: 0.9, eyes: [2, 4, 8, 4] },
    { x: 2, y: 0, w: 10, h: 10, score: 0.3, eyes: [6, 4, 12, 8] },
  ], 0.3);
  assert.deepEqual(merged[0].eyes.map((v) => Math.round(v * 1e9) / 1e9), [3, 4, 9, 5]);
});

test('roll: the angle from the right eye to the left, 0 without eyes', () => {
  assert.equal(rollOf([0, 0, 10, 0]), 0);
  assert.ok(Math.abs(rollOf([0, 0, 10, 10]) - Math.PI / 4) < 1e-12); // the left eye lower: turned clockwise on screen
  assert.equal(rollOf(undefined), 0);
});
