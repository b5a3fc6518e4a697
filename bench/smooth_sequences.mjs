// bench/smoothing.py's Node half: runs the page's own smoothing module over probability sequences.
// stdin: {labels, dtMs, halfLives: [ms...], sequences: [[[p per label] per frame] per sequence]}
// stdout: {halfLife: [[label index per frame] per sequence]}
import { createSmoother } from '../static/js/smoothing.js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { labels, dtMs, halfLives, sequences } = JSON.parse(Buffer.concat(chunks).toString());
const box = [100, 100, 120, 120]; // one face that holds still: every frame matches the last
const out = {};
for (const halfLifeMs of halfLives) {
  out[halfLifeMs] = sequences.map((frames) => {
    const smoother = createSmoother({ labels, halfLifeMs });
    return frames.map((p, f) => {
      const label = labels[p.indexOf(Math.max(...p))];
      const face = { box, label, probabilities: Object.fromEntries(labels.map((l, k) => [l, p[k]])) };
      const [smoothed] = smoother.update([face], f * dtMs);
      return labels.indexOf(smoothed.label);
    });
  });
}
process.stdout.write(JSON.stringify(out));
