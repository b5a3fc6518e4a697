// Face preprocessing for the classifier, as small named steps that mirror
// training/preprocessing.py: crop, to gray with the manifest's weights, resize like
// OpenCV's INTER_AREA, scale with the manifest's scale and offset. Plain typed
// arrays: a face crop is small, and many tiny tensor ops cost more than the maths.
// Every constant comes from the manifest's `input` block; nothing is restated here.

// Python's round(): halves go to the even neighbour, so both paths pick the same pixel.
function roundHalfEven(v) {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Detector box {x, y, w, h} -> the square crop {x, y, w, h}: side max(w, h) * cropScale, centred on
 * the box moved by cropOffset [x, y] times the side (may leave the frame). As server/crop.py, term for term.
 */
export function cropRect(box, cropScale, cropOffset = [0, 0]) {
  const side = Math.max(1, roundHalfEven(Math.max(box.w, box.h) * cropScale));
  return {
    x: roundHalfEven(box.x + box.w / 2 + cropOffset[0] * side - side / 2),
    y: roundHalfEven(box.y + box.h / 2 + cropOffset[1] * side - side / 2),
    w: side,
    h: side,
  };
}

/**
 * Crop `rect` out of a frame and convert it to gray.
 * @param {{data: ArrayLike<number>, width: number, height: number, channels: number}} frame  RGB(A) or gray pixels, row-major.
 * @param {{x: number, y: number, w: number, h: number}} rect  may reach outside the frame: those pixels are black, as on the server.
 * @param {number[]} weights  the manifest's gray_weights (R, G, B); ignored for gray frames.
 * @returns {Float32Array} h * w gray values, 0..255.
 */
export function cropGray(frame, rect, weights) {
  const { data, width, height, channels } = frame;
  const out = new Float32Array(rect.w * rect.h);
  const [wr, wg, wb] = weights;
  for (let j = 0; j < rect.h; j++) {
    const y = rect.y + j;
    if (y < 0 || y >= height) continue;
    for (let i = 0; i < rect.w; i++) {
      const x = rect.x + i;
      if (x < 0 || x >= width) continue;
      const p = (y * width + x) * channels;
      out[j * rect.w + i] = channels < 3 ? data[p] : Math.fround(Math.fround(data[p] * wr) + Math.fround(data[p + 1] * wg)) + Math.fround(data[p + 2] * wb);
    }
  }
  return out;
}

// One axis of OpenCV's INTER_AREA as taps: for each destination index, [[source index, weight]...].
// Shrinking takes the fractional pixel coverage of each destination cell (computeResizeAreaTab);
// enlarging (on either axis) switches OpenCV to its linear "area mode" weights.
function areaShrinkTaps(src, dst) {
  const scale = src / dst;
  const taps = [];
  for (let dx = 0; dx < dst; dx++) {
    const fsx1 = dx * scale;
    const fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, src - fsx1);
    const sx2 = Math.min(Math.floor(fsx2), src - 1);
    const sx1 = Math.min(Math.ceil(fsx1), sx2);
    const t = [];
    if (sx1 - fsx1 > 1e-3) t.push([sx1 - 1, (sx1 - fsx1) / cellWidth]);
    for (let sx = sx1; sx < sx2; sx++) t.push([sx, 1 / cellWidth]);
    if (fsx2 - sx2 > 1e-3) t.push([sx2, Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth]);
    taps.push(t);
  }
  return taps;
}

function areaLinearTaps(src, dst) {
  const scale = src / dst;
  const invScale = dst / src;
  const taps = [];
  for (let dx = 0; dx < dst; dx++) {
    let sx = Math.floor(dx * scale);
    let fx = (dx + 1) - (sx + 1) * invScale;
    fx = fx <= 0 ? 0 : fx - Math.floor(fx);
    if (sx >= src - 1) { sx = src - 1; fx = 0; }
    taps.push(fx > 0 ? [[sx, 1 - fx], [sx + 1, fx]] : [[sx, 1]]);
  }
  return taps;
}

const tapCache = new Map();

/** INTER_AREA taps {rows, cols} for a (srcH, srcW) -> (dstH, dstW) resize (cached). */
export function areaTaps(srcH, srcW, dstH, dstW) {
  const key = `${srcH}x${srcW}->${dstH}x${dstW}`;
  if (!tapCache.has(key)) {
    const axis = srcH >= dstH && srcW >= dstW ? areaShrinkTaps : areaLinearTaps;
    tapCache.set(key, { rows: axis(srcH, dstH), cols: axis(srcW, dstW) });
    if (tapCache.size > 256) tapCache.delete(tapCache.keys().next().value);
  }
  return tapCache.get(key);
}

/** Gray h x w -> dstH x dstW, the way cv2.resize(..., INTER_AREA) does (rows first, then columns). */
export function resizeArea(gray, h, w, [dstH, dstW]) {
  if (h === dstH && w === dstW) return Float32Array.from(gray);
  const { rows, cols } = areaTaps(h, w, dstH, dstW);
  const tmp = new Float64Array(dstH * w);
  rows.forEach((taps, dy) => {
    for (const [sy, k] of taps) {
      for (let x = 0; x < w; x++) tmp[dy * w + x] += k * gray[sy * w + x];
    }
  });
  const out = new Float32Array(dstH * dstW);
  for (let dy = 0; dy < dstH; dy++) {
    cols.forEach((taps, dx) => {
      let v = 0;
      for (const [sx, k] of taps) v += k * tmp[dy * w + sx];
      out[dy * dstW + dx] = v;
    });
  }
  return out;
}

/** 0..255 -> value / scale + offset (the manifest's scaling), in place. */
export function scale(values, { scale: s, offset }) {
  for (let i = 0; i < values.length; i++) values[i] = values[i] / s + offset;
  return values;
}

/** One gray crop (h x w) -> the model input (H * W * 1 values), per the manifest's `input` block. */
export function preprocessFace(gray, h, w, input) {
  const [H, W] = input.shape;
  return scale(resizeArea(gray, h, w, [H, W]), input);
}
