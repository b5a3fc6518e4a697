// A small line chart of one face's probabilities over time: one line per label, the newest point
// at the right edge, the last `spanMs` across. Drawn at the screen's resolution.

/** Line colours by label index (Okabe and Ito's palette, told apart with most colour blindness). */
export const LABEL_COLORS = ['#D55E00', '#009E73', '#CC79A7', '#E69F00', '#0072B2', '#56B4E9', '#7f7f7f'];

/**
 * Draw `points` ([{t, probs}], oldest first) on `canvas`, at `size` (its CSS box, read by the
 * caller) times the screen's resolution. Of points closer than a pixel apart, the first is drawn:
 * a minute of frames is thousands of points on a chart a few hundred pixels wide.
 * @param {HTMLCanvasElement} canvas
 * @param {{t: number, probs: number[]}[]} points
 * @param {{spanMs: number, now: number, size: {width: number, height: number}}} range
 */
export function drawChart(canvas, points, { spanMs, now, size }) {
  const dpr = globalThis.devicePixelRatio || 1;
  const W = Math.max(1, Math.round(size.width * dpr));
  const H = Math.max(1, Math.round(size.height * dpr));
  if (canvas.width !== W || canvas.height !== H) Object.assign(canvas, { width: W, height: H });
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, W, H);
  ctx.strokeStyle = 'rgba(128,128,128,.35)';
  ctx.lineWidth = dpr;
  ctx.strokeRect(0, 0, W, H);
  if (points.length < 2) return;
  const x = (t) => W - ((now - t) / spanMs) * W;
  const y = (p) => H - p * (H - 2 * dpr) - dpr;
  let lastX = -Infinity;
  const drawn = points.filter((pt, i) => {
    const px = x(pt.t);
    if (px - lastX < 1 && i < points.length - 1) return false;
    lastX = px;
    return true;
  });
  ctx.lineWidth = 1.5 * dpr;
  drawn[0].probs.forEach((_, k) => {
    ctx.strokeStyle = LABEL_COLORS[k % LABEL_COLORS.length];
    ctx.beginPath();
    drawn.forEach((pt, i) => (i ? ctx.lineTo(x(pt.t), y(pt.probs[k])) : ctx.moveTo(x(pt.t), y(pt.probs[k]))));
    ctx.stroke();
  });
}
