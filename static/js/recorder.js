// A recording of the expressions over time, kept only while the person asks for it and only in
// this page's memory, then exported as CSV or JSON: one row per face per analysed frame.

/**
 * @param {object} config
 * @param {string[]} config.labels   the model's labels, in its order (the manifest's).
 * @param {number} [config.maxRows]  rows kept at most (the oldest are dropped beyond it).
 * @returns {{start: Function, stop: Function, add: Function, rows: Function, recording: Function,
 *            toCSV: Function, toJSON: Function}}
 */
export function createRecorder({ labels, maxRows = 200000 }) {
  if (!Array.isArray(labels) || labels.length === 0) throw new Error('createRecorder: expected config.labels');
  let rows = [];
  let t0 = null; // null: not recording

  /** Start a new recording at `now` (ms); the previous one is dropped. */
  function start(now) { rows = []; t0 = now; }
  function stop() { t0 = null; }

  /** One analysed frame's faces ({number, label, confidence, probabilities}) at `now` (ms). */
  function add(faces, now) {
    if (t0 === null) return;
    for (const f of faces) {
      rows.push({
        time_ms: Math.round(now - t0),
        face: f.number,
        label: f.label,
        confidence: f.confidence,
        probabilities: Object.fromEntries(labels.map((l) => [l, f.probabilities?.[l] ?? 0])),
      });
    }
    if (rows.length > maxRows) rows.splice(0, rows.length - maxRows);
  }

  const round = (p) => Number(p.toFixed(4));

  /** Header `time_ms,face,label,confidence,<labels...>`, then one line per row. */
  function toCSV() {
    const lines = [['time_ms', 'face', 'label', 'confidence', ...labels].join(',')];
    for (const r of rows) {
      lines.push([r.time_ms, r.face, r.label, round(r.confidence), ...labels.map((l) => round(r.probabilities[l]))].join(','));
    }
    return `${lines.join('\n')}\n`;
  }

  function toJSON() {
    return JSON.stringify({ labels, rows: rows.map((r) => ({ ...r, confidence: round(r.confidence),
      probabilities: Object.fromEntries(labels.map((l) => [l, round(r.probabilities[l])])) })) });
  }

  return { start, stop, add, toCSV, toJSON, rows: () => rows, recording: () => t0 !== null };
}
