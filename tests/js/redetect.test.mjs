// static/js/redetect.js: the last boxes are kept while the picture holds still.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { change, createRedetectGate, signature } from '../../static/js/redetect.js';

function frame(width = 64, height = 48, fill = (x, y) => (x * 3 + y * 5) % 256) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.fill(fill(x, y), (y * width + x) * 4, (y * width + x) * 4 + 4);
  }
  return { data, width, height, channels: 4 };
}

function counting(boxes) {
  const detect = async () => { detect.calls += 1; return boxes; };
  detect.calls = 0;
  return detect;
}

test('a region\'s signature is its mean gray per cell; a box outside the frame gives zeros', () => {
  const flat = frame(64, 48, () => 77);
  assert.ok(signature(flat, { x: 0, y: 0, w: 64, h: 48 }).every((v) => v === 77));
  assert.ok(signature(flat, { x: 100, y: 100, w: 10, h: 10 }).every((v) => v === 0));
  assert.equal(change(Float32Array.of(1, 2, 3), Float32Array.of(2, 2, 5)), 1);
});

test('a still picture reuses the boxes until maxAgeMs has passed', async () => {
  const gate = createRedetectGate({ maxAgeMs: 500 });
  const detect = counting([{ x: 10, y: 10, w: 20, h: 20 }]);
  const still = frame();
  assert.equal((await gate.boxesFor(still, detect, 0)).detected, true);
  const kept = await gate.boxesFor(still, detect, 100);
  assert.deepEqual(kept, { boxes: [{ x: 10, y: 10, w: 20, h: 20 }], detected: false });
  assert.equal((await gate.boxesFor(still, detect, 600)).detected, true);
  assert.equal(detect.calls, 2);
});

test('a change inside a box, or a new frame size, calls the detector again', async () => {
  const gate = createRedetectGate({ maxAgeMs: 500 });
  const detect = counting([{ x: 10, y: 10, w: 20, h: 20 }]);
  await gate.boxesFor(frame(), detect, 0);
  const moved = frame(64, 48, (x, y) => (x >= 10 && x < 30 && y >= 10 && y < 30 ? 255 : (x * 3 + y * 5) % 256));
  assert.equal((await gate.boxesFor(moved, detect, 50)).detected, true);
  assert.equal((await gate.boxesFor(frame(80, 48), detect, 100)).detected, true);
  gate.reset();
  assert.equal((await gate.boxesFor(frame(80, 48), detect, 110)).detected, true);
  assert.equal(detect.calls, 4);
});

test('maxAgeMs 0 detects on every frame', async () => {
  const gate = createRedetectGate({ maxAgeMs: 0 });
  const detect = counting([]);
  for (let t = 0; t < 3; t++) await gate.boxesFor(frame(), detect, t);
  assert.equal(detect.calls, 3);
});

test('a few cells of a box changing (a talking mouth) keep the boxes; most of them (a move) do not', async () => {
  const gate = createRedetectGate({ maxAgeMs: 500 });
  const detect = counting([{ x: 0, y: 0, w: 48, h: 48 }]);
  await gate.boxesFor(frame(), detect, 0);
  const mouth = frame(64, 48, (x, y) => (x >= 16 && x < 32 && y >= 36 && y < 44 ? 0 : (x * 3 + y * 5) % 256));
  assert.equal((await gate.boxesFor(mouth, detect, 40)).detected, false);
  const moved = frame(64, 48, (x, y) => ((x + 6) * 3 + y * 5) % 256);
  assert.equal((await gate.boxesFor(moved, detect, 80)).detected, true);
  assert.equal(detect.calls, 2);
});

test('outside the boxes, a change waits for maxAgeMs while faces are boxed, and not when none is', async () => {
  const boxed = createRedetectGate({ maxAgeMs: 500 });
  const withFace = counting([{ x: 0, y: 0, w: 16, h: 16 }]);
  await boxed.boxesFor(frame(), withFace, 0);
  const elsewhere = frame(64, 48, (x, y) => (x >= 24 ? 255 : (x * 3 + y * 5) % 256));
  assert.equal((await boxed.boxesFor(elsewhere, withFace, 40)).detected, false);
  assert.equal((await boxed.boxesFor(elsewhere, withFace, 520)).detected, true);
  const empty = createRedetectGate({ maxAgeMs: 500 });
  const noFace = counting([]);
  await empty.boxesFor(frame(), noFace, 0);
  assert.equal((await empty.boxesFor(elsewhere, noFace, 40)).detected, true);
});
