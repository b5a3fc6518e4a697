// The page's redetect gate (static/js/redetect.js) replayed over recorded frames: how often it
// runs the detector, and how far its kept boxes are from a fresh detection's. bench/redetect.py
// writes the input (each frame's quarter-size thumbnail, as the page reads it, and the
// detector's boxes on that frame) and runs this.
//
//   node bench/redetect_gate.mjs SCENES.json [FPS]
import { readFileSync } from 'node:fs';
import { createRedetectGate } from '../static/js/redetect.js';
import { iou } from '../static/js/boxes.js';

const [path, fps = '25'] = process.argv.slice(2);
const rows = [];
for (const scene of JSON.parse(readFileSync(path, 'utf8'))) {
  const gate = createRedetectGate();
  let detections = 0;
  const overlaps = [];
  for (let i = 0; i < scene.thumbs.length; i++) {
    const frame = { data: scene.thumbs[i], width: scene.width, height: scene.height, channels: 1, scale: scene.scale };
    const kept = await gate.boxesFor(frame, async () => scene.boxes[i], (i * 1000) / Number(fps));
    if (kept.detected) detections += 1;
    for (const fresh of scene.boxes[i]) overlaps.push(Math.max(0, ...kept.boxes.map((b) => iou(b, fresh))));
  }
  const sorted = [...overlaps].sort((a, b) => a - b);
  rows.push({
    scene: scene.name, frames: scene.thumbs.length, detected: detections,
    mean_iou: overlaps.reduce((s, v) => s + v, 0) / Math.max(1, overlaps.length), worst_iou: sorted[0] ?? null,
  });
}
console.log(JSON.stringify(rows));
