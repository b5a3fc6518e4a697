// static/js/smoothing.js: faces followed from frame to frame, their probabilities averaged over time.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createSmoother } from '../../static/js/smoothing.js';

const labels = ['happy', 'sad'];
const face = (box, happy) => ({ box, probabilities: { happy, sad: 1 - happy }, label: happy >= 0.5 ? 'happy' : 'sad' });
const LEFT = [0, 0, 100, 100];
const RIGHT = [300, 0, 100, 100];

test('a one-frame flip on a still face does not change its label', () => {
  const smoother = createSmoother({ labels, halfLifeMs: 200 });
  for (let t = 0; t < 500; t += 100) smoother.update([face(LEFT, 0.9)], t);
  const [glitch] = smoother.update([face(LEFT, 0.1)], 500);
  assert.equal(glitch.label, 'happy');
  assert.ok(glitch.probabilities.happy > 0.5 && glitch.probabilities.happy < 0.9);
});

test('after one half-life an old frame keeps half its weight', () => {
  const smoother = createSmoother({ labels, halfLifeMs: 200 });
  smoother.update([face(LEFT, 1)], 0);
  const [later] = smoother.update([face(LEFT, 0)], 200);
  assert.ok(Math.abs(later.probabilities.happy - 0.5) < 1e-12);
  assert.ok(Math.abs(later.confidence - 0.5) < 1e-12);
});

test('half-life 0 passes probabilities through but still numbers the faces', () => {
  const smoother = createSmoother({ labels, halfLifeMs: 0 });
  smoother.update([face(LEFT, 0.9)], 0);
  const [f] = smoother.update([face(LEFT, 0.1)], 100);
  assert.equal(f.label, 'sad');
  assert.equal(f.probabilities.happy, 0.1);
  assert.equal(f.number, 1);
});

test('each face keeps its number while it stays in view, and a newcomer takes the smallest free one', () => {
  const smoother = createSmoother({ labels, halfLifeMs: 200 });
  const [a, b] = smoother.update([face(LEFT, 0.9), face(RIGHT, 0.2)], 0);
  assert.deepEqual([a.number, b.number], [1, 2]);
  // Listed the other way round, and moved a little: same faces, same numbers.
  const [b2, a2] = smoother.update([face([305, 0, 100, 100], 0.2), face([5, 0, 100, 100], 0.9)], 100);
  assert.deepEqual([a2.number, b2.number], [1, 2]);
  // The left face leaves for longer than keepMs; a face elsewhere then takes number 1.
  smoother.update([face(RIGHT, 0.2)], 200);
  const out = smoother.update([face(RIGHT, 0.2), face([0, 300, 100, 100], 0.5)], 2000);
  assert.deepEqual(out.map((f) => f.number), [2, 1]);
});

test('bad settings are refused', () => {
  assert.throws(() => createSmoother({ labels: [], halfLifeMs: 200 }), /labels/);
  assert.throws(() => createSmoother({ labels, halfLifeMs: -1 }), /halfLifeMs/);
});
