// Face preprocessing for the classifier, as small named steps that mirror
// training/preprocessing.py: to gray with the manifest's weights, resize like
// OpenCV's INTER_AREA, scale with the manifest's scale and offset.
// Every constant comes from the manifest's `input` block; nothing is restated here.
const tf = globalThis.tf;

/** RGB frame [H, W, 3] (any dtype) -> gray [H, W] float32, weighted sum of the channels. */
export function toGray(rgb, weights) {
  return tf.tidy(() => {
    const w = tf.tensor1d(weights, 'float32');
    return tf.sum(tf.mul(tf.cast(rgb, 'float32'), w), -1);
  });
}

// One axis of OpenCV's INTER_AREA as a [dst, src] weight matrix. Shrinking takes
// the fractional pixel coverage of each destination cell (computeResizeAreaTab);
// enlarging (on either axis) switches OpenCV to its linear "area mode" weights.
function areaShrinkWeights(src, dst) {
  const m = new Float32Array(dst * src);
  const scale = src / dst;
  for (let dx = 0; dx < dst; dx++) {
    const fsx1 = dx * scale;
    const fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, src - fsx1);
    let sx2 = Math.min(Math.floor(fsx2), src - 1);
    const sx1 = Math.min(Math.ceil(fsx1), sx2);
    const row = dx * src;
    if (sx1 - fsx1 > 1e-3) m[row + sx1 - 1] += (sx1 - fsx1) / cellWidth;
    for (let sx = sx1; sx < sx2; sx++) m[row + sx] += 1 / cellWidth;
    if (fsx2 - sx2 > 1e-3) m[row + sx2] += Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth;
  }
  return m;
}

function areaLinearWeights(src, dst) {
  const m = new Float32Array(dst * src);
  const scale = src / dst;
  const invScale = dst / src;
  for (let dx = 0; dx < dst; dx++) {
    let sx = Math.floor(dx * scale);
    let fx = (dx + 1) - (sx + 1) * invScale;
    fx = fx <= 0 ? 0 : fx - Math.floor(fx);
    if (sx >= src - 1) { sx = src - 1; fx = 0; }
    m[dx * src + sx] += 1 - fx;
    if (fx > 0) m[dx * src + sx + 1] += fx;
  }
  return m;
}

const weightCache = new Map();

/** Weight matrices [dstH, srcH] and [dstW, srcW] of INTER_AREA for a src -> dst resize (cached). */
export function areaWeights(srcH, srcW, dstH, dstW) {
  const key = `${srcH}x${srcW}->${dstH}x${dstW}`;
  if (!weightCache.has(key)) {
    const shrink = srcH >= dstH && srcW >= dstW;
    const axis = shrink ? areaShrinkWeights : areaLinearWeights;
    weightCache.set(key, { rows: axis(srcH, dstH), cols: axis(srcW, dstW) });
    if (weightCache.size > 256) weightCache.delete(weightCache.keys().next().value);
  }
  return weightCache.get(key);
}

/** Gray [h, w] float32 -> [dstH, dstW], the way cv2.resize(..., INTER_AREA) does. */
export function resizeArea(gray, [dstH, dstW]) {
  const [h, w] = gray.shape;
  if (h === dstH && w === dstW) return gray.clone();
  return tf.tidy(() => {
    const { rows, cols } = areaWeights(h, w, dstH, dstW);
    const r = tf.tensor2d(rows, [dstH, h]);
    const c = tf.tensor2d(cols, [dstW, w]);
    return tf.matMul(tf.matMul(r, gray), c, false, true);
  });
}

/** 0..255 -> value / scale + offset (the manifest's scaling). */
export function scale(gray, { scale: s, offset }) {
  return tf.tidy(() => tf.add(tf.div(gray, s), offset));
}

// Python's round(): halves go to the even neighbour, so both paths pick the same pixel.
function roundHalfEven(v) {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Detector box {x, y, w, h} -> the square crop {x, y, side}: side max(w, h) * cropScale, centred (may leave the frame). */
export function cropRect(box, cropScale) {
  const side = Math.max(1, roundHalfEven(Math.max(box.w, box.h) * cropScale));
  return {
    x: roundHalfEven(box.x + box.w / 2 - side / 2),
    y: roundHalfEven(box.y + box.h / 2 - side / 2),
    side,
  };
}

/** Frame [H, W, C] + square crop rect -> [side, side, C]; parts outside the frame are black, as on the server. */
export function cropSquare(frame, { x, y, side }) {
  const [H, W] = frame.shape;
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(W, x + side);
  const y1 = Math.min(H, y + side);
  return tf.tidy(() => {
    if (x1 <= x0 || y1 <= y0) return tf.zeros([side, side, frame.shape[2]], frame.dtype);
    const inside = tf.slice(frame, [y0, x0, 0], [y1 - y0, x1 - x0, -1]);
    return tf.pad(inside, [[y0 - y, y + side - y1], [x0 - x, x + side - x1], [0, 0]]);
  });
}

/** One gray crop [h, w] -> model input [H, W, 1] float32, per the manifest's `input` block. */
export function preprocessFace(grayCrop, input) {
  const [H, W] = input.shape;
  return tf.tidy(() => tf.expandDims(scale(resizeArea(grayCrop, [H, W]), input), -1));
}
