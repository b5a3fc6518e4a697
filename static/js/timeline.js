// Each face's probabilities over the last minute, by face number, for the live chart in the face
// list. Kept in memory only, and dropped as it ages: nothing of it is stored or sent.

/**
 * @param {object} config
 * @param {string[]} config.labels  the model's labels, in its order.
 * @param {number} [config.spanMs]  how far back the chart reaches.
 * @returns {{add: Function, series: Function, reset: Function, spanMs: number}}
 */
export function createTimeline({ labels, spanMs = 60000 }) {
  let byFace = new Map(); // number -> [{t, probs: number[]}], oldest first

  /** One analysed frame's faces ({number, probabilities}) at `now` (ms). */
  function add(faces, now) {
    for (const f of faces) {
      if (!byFace.has(f.number)) byFace.set(f.number, []);
      byFace.get(f.number).push({ t: now, probs: labels.map((l) => f.probabilities?.[l] ?? 0) });
    }
    for (const [number, points] of byFace) {
      while (points.length && now - points[0].t > spanMs) points.shift();
      if (!points.length) byFace.delete(number);
    }
  }

  return { add, series: (number) => byFace.get(number) ?? [], reset: () => { byFace = new Map(); }, spanMs };
}
