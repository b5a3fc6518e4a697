// Steadier labels on live video. While a face holds still, a label that flips from one frame to
// the next is noise (sensor noise, a box that jitters by a few pixels), not a change of expression.
// Each face is followed from frame to frame by box overlap, and its probabilities are averaged
// over time: an exponential moving average with a half-life in milliseconds, so the smoothing is
// the same at 5 fps and at 30. bench/smoothing.py measures what it buys and what it costs (lag).
import { iou } from './boxes.js';

const rect = ([x, y, w, h]) => ({ x, y, w, h });

/**
 * @param {object} config
 * @param {string[]} config.labels     the model's labels, in its order.
 * @param {number} config.halfLifeMs   how long an old frame keeps half its weight; 0 turns smoothing off
 *                                     (the page's default is in settings.js).
 * @param {number} [config.minIou]     least box overlap for a face to count as the same face.
 * @returns {{update: Function, reset: Function}}
 */
export function createSmoother({ labels, halfLifeMs, minIou = 0.3 }) {
  if (!Array.isArray(labels) || labels.length === 0) throw new Error('createSmoother: expected config.labels');
  if (!(halfLifeMs >= 0)) throw new Error(`createSmoother: expected config.halfLifeMs >= 0, got ${halfLifeMs}`);
  let tracks = []; // {rect, probs, t}: the faces of recent frames, with their smoothed probabilities

  /**
   * One frame's faces ({box, probabilities, ...}) at time `t` (ms) -> the same faces with
   * smoothed probabilities, label and confidence.
   */
  function update(faces, t) {
    if (halfLifeMs === 0) return faces;
    // Greedy one-to-one matching, best overlap first.
    const rects = faces.map((f) => rect(f.box));
    const pairs = [];
    rects.forEach((r, i) => tracks.forEach((tr, k) => {
      const v = iou(r, tr.rect);
      if (v >= minIou) pairs.push([v, i, k]);
    }));
    pairs.sort((a, b) => b[0] - a[0]);
    const trackOf = new Map();
    const taken = new Set();
    for (const [, i, k] of pairs) {
      if (!trackOf.has(i) && !taken.has(k)) { trackOf.set(i, k); taken.add(k); }
    }
    const next = [];
    const out = faces.map((face, i) => {
      let probs = labels.map((l) => face.probabilities?.[l] ?? 0);
      if (trackOf.has(i)) {
        const old = tracks[trackOf.get(i)];
        const keep = 0.5 ** (Math.max(0, t - old.t) / halfLifeMs);
        probs = probs.map((p, k) => keep * old.probs[k] + (1 - keep) * p);
      }
      next.push({ rect: rects[i], probs, t });
      let best = 0;
      for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
      return {
        ...face,
        label: labels[best],
        confidence: probs[best],
        probabilities: Object.fromEntries(labels.map((l, k) => [l, probs[k]])),
      };
    });
    // A face the detector missed in this frame keeps its history for two half-lives, then it is gone.
    tracks = next.concat(tracks.filter((tr, k) => !taken.has(k) && t - tr.t < 2 * halfLifeMs));
    return out;
  }

  return { update, reset: () => { tracks = []; } };
}
