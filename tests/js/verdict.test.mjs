// static/js/verdict.js: the words shown for one face.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { verdict } from '../../static/js/verdict.js';

const face = (confidence, probabilities) => ({ label: 'fear', confidence, probabilities });

test('a sure face shows its label and its percentage', () => {
  assert.deepEqual(verdict(face(0.83, { fear: 0.83, sad: 0.17 }), 0.4), { text: 'fear', unsure: false, percent: '83%' });
});

test('an unsure face shows its two likeliest labels, likeliest first', () => {
  const v = verdict(face(0.3, { happy: 0.1, fear: 0.3, surprise: 0.28, sad: 0.12 }), 0.4);
  assert.deepEqual(v, { text: 'unsure: fear or surprise', unsure: true, percent: '30%' });
});

test('threshold 0 never says unsure, and a face without probabilities keeps its label', () => {
  assert.equal(verdict(face(0.2, { fear: 0.2, sad: 0.1 }), 0).unsure, false);
  assert.deepEqual(verdict(face(0.2, undefined), 0.4), { text: 'fear', unsure: false, percent: '20%' });
});
