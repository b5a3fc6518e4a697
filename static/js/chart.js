// A small line chart of one face's probabilities over time: one line per label, the newest point
// at the right edge, the last `spanMs` across. Drawn at the screen's resolution.

/** Line colours by label index (Okabe and Ito's palette, told apart with most colour blindness). */
export const LABEL_COLORS = ['#D55E00', '#009E73', '#CC79A7', '#E69F00', '#0072B2', '#56B4E9', '#7f7f7f'];

/**
 * Draw `points` ([{t, probs}], oldest first) on `canvas`, sized here to its CSS box.
 * @param {HTMLCanvasElement} canvas
 * @param {{t: number, probs: number[]}[]} points
 * @param {{spanMs: number, now: number}} range
 */
export function drawChart(canvas, points, { spanMs, now }) {
  const dpr = globalThis.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(canvas.clientWidth * dpr));
  canvas.height = Math.max(1, Math.round(canvas.clientHeight * dpr));
  const ctx = canvas.getContext('2d');
  const { width: W, height: H } = canvas;
  ctx.clearRect(0, 0, W, H);
  ctx.strokeStyle = 'rgba(128,128,128,.35)';
  ctx.lineWidth = dpr;
  ctx.strokeRect(0, 0, W, H);
  if (points.length < 2) return;
  const x = (t) => W - ((now - t) / spanMs) * W;
  const y = (p) => H - p * (H - 2 * dpr) - dpr;
  ctx.lineWidth = 1.5 * dpr;
  points[0].probs.forEach((_, k) => {
    ctx.strokeStyle = LABEL_COLORS[k % LABEL_COLORS.length];
    ctx.beginPath();
    points.forEach((pt, i) => (i ? ctx.lineTo(x(pt.t), y(pt.probs[k])) : ctx.moveTo(x(pt.t), y(pt.probs[k]))));
    ctx.stroke();
  });
}
