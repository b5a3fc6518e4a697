// Steadier labels on live video. While a face holds still, a label that flips from one frame to
// the next is noise (sensor noise, a box that jitters by a few pixels), not a change of expression.
// Each face is followed from frame to frame by box overlap, and its probabilities are averaged
// over time: an exponential moving average with a half-life in milliseconds, so the smoothing is
// the same at 5 fps and at 30. bench/smoothing.py measures what it buys and what it costs (lag).
// The same following numbers the faces: a face keeps its number (1, 2, ...) while it stays in view,
// so the boxes, the list and a recording name it alike; with smoothing off faces are still followed.
import { iou } from './boxes.js';

const rect = ([x, y, w, h]) => ({ x, y, w, h });

/**
 * @param {object} config
 * @param {string[]} config.labels     the model's labels, in its order.
 * @param {number} config.halfLifeMs   how long an old frame keeps half its weight; 0 turns smoothing off
 *                                     (the page's default is in settings.js).
 * @param {number} [config.minIou]     least box overlap for a face to count as the same face.
 * @param {number} [config.keepMs]     how long a face missing from view keeps its number.
 * @returns {{update: Function, reset: Function}}
 */
export function createSmoother({ labels, halfLifeMs, minIou = 0.3, keepMs = 1000 }) {
  if (!Array.isArray(labels) || labels.length === 0) throw new Error('createSmoother: expected config.labels');
  if (!(halfLifeMs >= 0)) throw new Error(`createSmoother: expected config.halfLifeMs >= 0, got ${halfLifeMs}`);
  let tracks = []; // {rect, probs, t, number}: the faces of recent frames, with their smoothed probabilities

  /**
   * One frame's faces ({box, probabilities, ...}) at time `t` (ms) -> the same faces with
   * smoothed probabilities, label and confidence, and their `number`.
   */
  function update(faces, t) {
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
    const used = new Set([...trackOf.values()].map((k) => tracks[k].number));
    // A new face takes the smallest number no face in view holds.
    const freeNumber = () => { let n = 1; while (used.has(n)) n++; used.add(n); return n; };
    const out = faces.map((face, i) => {
      let probs = labels.map((l) => face.probabilities?.[l] ?? 0);
      const old = trackOf.has(i) ? tracks[trackOf.get(i)] : null;
      // Only a face missed for under two half-lives carries its old probabilities.
      if (old && halfLifeMs > 0 && t - old.t < 2 * halfLifeMs) {
        const keep = 0.5 ** (Math.max(0, t - old.t) / halfLifeMs);
        probs = probs.map((p, k) => keep * old.probs[k] + (1 - keep) * p);
      }
      const number = old ? old.number : null;
      next.push({ rect: rects[i], probs, t, number });
      if (halfLifeMs === 0) return { ...face, number };
      let best = 0;
      for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
      return {
        ...face,
        number,
        label: labels[best],
        confidence: probs[best],
        probabilities: Object.fromEntries(labels.map((l, k) => [l, probs[k]])),
      };
    });
    // A face the detector missed in this frame keeps its number (and its history) for keepMs.
    const missed = tracks.filter((tr, k) => !taken.has(k) && t - tr.t < Math.max(keepMs, 2 * halfLifeMs));
    missed.forEach((tr) => used.add(tr.number));
    next.forEach((tr, i) => { if (tr.number === null) { tr.number = freeNumber(); out[i].number = tr.number; } });
    tracks = next.concat(missed);
    return out;
  }

  return { update, reset: () => { tracks = []; } };
}
