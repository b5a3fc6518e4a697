// The expression classifier: the project's exported TF.js graph model, driven by
// its manifest (labels, input shape, preprocessing). Several faces run as one batch.
// Live frames stay on the TF.js backend (crop, gray, resize, scale as tensor ops); files and
// already-cropped faces go through preprocessing.js's typed arrays, the reference the tests hold
// both against.
import { areaTaps, cropRect, cropGray, preprocessFace } from './preprocessing.js';

const tf = globalThis.tf;

/**
 * Load the classifier.
 * @param {object} config
 * @param {string} config.modelUrl  URL of the TF.js graph model (model.json).
 * @param {object} config.manifest  the model's manifest.json (labels, input, outputs).
 * @param {number} [config.viewsUpTo]  most faces in a frame that get the test-time views; more get
 *   a single view each, at half the cost (default 1).
 * @returns {Promise<{labels: string[], estimate: Function, estimateCrops: Function, dispose: Function}>}
 */
export async function createClassifier(config) {
  const { modelUrl, manifest } = { ...config };
  if (!modelUrl) throw new Error('createClassifier: expected config.modelUrl, got nothing');
  const labels = manifest?.labels;
  const input = manifest?.input;
  if (!Array.isArray(labels) || !input || !Array.isArray(input.shape)) {
    throw new Error(`createClassifier: expected a manifest with labels and input.shape, got ${JSON.stringify(manifest)?.slice(0, 200)}`);
  }
  if (input.resize !== 'area') {
    throw new Error(`createClassifier: expected input.resize "area", got "${input.resize}"`);
  }
  // How the detector frames a face against the training faces, measured by bench.framing for each
  // detector (the page runs the server's BlazeFace); else the plain crop_scale (1, the bare box).
  const framing = input.framing?.[config.detector ?? 'blazeface'];
  const cropScale = framing?.crop_scale ?? input.crop_scale ?? 1;
  const cropOffset = framing?.crop_offset ?? [0, 0];
  const levelEyes = Boolean(input.level_eyes); // crops turn with the face (server/crop.py)
  let model;
  try {
    model = await tf.loadGraphModel(modelUrl);
  } catch (err) {
    throw new Error(`The expression model could not be loaded from ${modelUrl}: ${err.message}`);
  }

  function toResults(probs) {
    const n = probs.length / labels.length;
    const out = [];
    for (let i = 0; i < n; i++) {
      const p = probs.slice(i * labels.length, (i + 1) * labels.length);
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
      const probabilities = Object.fromEntries(labels.map((l, k) => [l, p[k]]));
      out.push({ label: labels[best], confidence: p[best], probabilities });
    }
    return out;
  }

  const [H, W, C] = input.shape;
  // The graph's two outputs over one set of weights (converters/browser_formats.py): the test-time
  // views (a face and its mirror: two passes) and a single view (one pass), 0.3 to 1.5 points of
  // accuracy apart (docs/benchmarks.md). Exports without them have the views alone.
  const outputs = manifest.outputs ?? null;
  const viewsUpTo = config.viewsUpTo ?? 1; // faces in a frame up to which the views run

  /** Gray crops [{gray, h, w}] -> one result each, as one batch through the model. */
  async function classifyGray(crops) {
    const batch = new Float32Array(crops.length * H * W * C);
    crops.forEach(({ gray, h, w }, i) => batch.set(preprocessFace(gray, h, w, input), i * H * W * C));
    const probs = tf.tidy(() => model.execute(tf.tensor4d(batch, [crops.length, H, W, C])));
    try {
      return toResults(await probs.data());
    } finally {
      probs.dispose();
    }
  }

  // The gray weights as a 1x1 convolution's filter, per channel count: RGB, or RGBA (alpha weighs 0).
  const grayFilters = [3, 4].map((c) => tf.tensor4d([...input.gray_weights, 0].slice(0, c), [1, 1, c, 1]));

  /** One axis of INTER_AREA taps as a [dst, src] matrix (`transposed`: [src, dst]), so a resize is two matrix products. */
  function tapMatrix(taps, src, transposed = false) {
    const m = new Float32Array(taps.length * src);
    const at = transposed ? (d, s) => s * taps.length + d : (d, s) => d * src + s;
    taps.forEach((row, d) => row.forEach(([s, k]) => { m[at(d, s)] += k; }));
    return tf.tensor2d(m, transposed ? [src, taps.length] : [taps.length, src]);
  }

  // A crop's two resize matrices by its side, kept for the sides seen last: a face keeps its crop's
  // size from frame to frame, and making them again (taps, upload, the manifest's scale) took about
  // a sixth of the crops' time. Least recently used first.
  const resizeMatrices = new Map();
  const KEEP_SIDES = 32;
  function resizeMatricesFor(size) {
    let kept = resizeMatrices.get(size);
    if (kept) {
      resizeMatrices.delete(size); // to the end: the most recently used
    } else {
      const { rows, cols } = areaTaps(size, size, H, W);
      // The model's input is value / scale + offset: the scale goes into the rows' matrix.
      kept = tf.tidy(() => ({ rows: tf.keep(tf.div(tapMatrix(rows, size), input.scale)), cols: tf.keep(tapMatrix(cols, size, true)) }));
      if (resizeMatrices.size >= KEEP_SIDES) {
        const [oldest, old] = resizeMatrices.entries().next().value;
        resizeMatrices.delete(oldest);
        tf.dispose([old.rows, old.cols]);
      }
    }
    resizeMatrices.set(size, kept);
    return kept;
  }

  /**
   * The frame [height, width, 3 or 4] (RGB or RGBA) to gray with the manifest's weights,
   * [1, height, width, 1]: once a frame, for all its faces. (Cutting a part of the frame out costs the WASM backend a copy of
   * the whole frame each time, about 3 ms; sampling it with tf.image.transform does not.)
   */
  function grayFrame(frame) {
    const [FH, FW, channels] = frame.shape;
    // A 1x1 convolution (XNNPACK's kernel on WASM): 2 ms for 640x480 where a multiply and a sum took 5 to 10.
    return tf.tidy(() => tf.conv2d(tf.reshape(frame.dtype === 'float32' ? frame : tf.cast(frame, 'float32'), [1, FH, FW, channels]),
      grayFilters[channels - 3], 1, 'valid'));
  }

  /**
   * A face's model input [H, W, C] from the gray frame: the `size` x `size` square whose pixel
   * (u, v) reads the frame at (a0 u + a1 v + a2, b0 u + b1 v + b2) (`transform`: pixel centres at
   * whole numbers, bilinear, black outside the frame), resized as OpenCV's INTER_AREA
   * (preprocessing.js's taps, as two matrix products) and scaled.
   */
  function sampledInput(gray, transform, size) {
    const { rows, cols } = resizeMatricesFor(size); // outside tidy(), which would dispose them
    return tf.tidy(() => {
      const square = tf.reshape(
        tf.image.transform(gray, tf.tensor2d([[...transform, 0, 0]]), 'bilinear', 'constant', 0, [size, size]), [size, size]);
      // rows (square cols): the face-sized operand never stands second, where the WASM backend
      // packs it as weights on every call, and nothing is transposed (the backend's slow path).
      const resized = tf.matMul(rows, tf.matMul(square, cols));
      return tf.reshape(tf.add(resized, input.offset), [H, W, C]);
    });
  }

  /**
   * Where one detector box's crop reads the frame: {transform, side} for sampledInput. The square
   * crop (cropRect) as it is, read at whole pixels (preprocessFace's twin in tensors); or, when
   * the manifest levels the eyes and the box has a roll (radians, from the detector's eyes), the
   * square turned with the face about its centre, the offset turned too: server/crop.py's
   * levelled_crop, the same points sampled.
   */
  function cropSampling(box) {
    const rect = cropRect(box, cropScale, cropOffset);
    const side = rect.w;
    if (!(levelEyes && box.roll)) return { transform: [1, 0, rect.x, 0, 1, rect.y], side };
    const cos = Math.cos(box.roll);
    const sin = Math.sin(box.roll);
    const [ox, oy] = [cropOffset[0] * side, cropOffset[1] * side];
    const cx = box.x + box.w / 2 + cos * ox - sin * oy;
    const cy = box.y + box.h / 2 + sin * ox + cos * oy;
    const half = side / 2 - 0.5; // output pixel (u, v) reads centre + R (u - half, v - half) - 0.5
    return { transform: [cos, -sin, cx - 0.5 - cos * half + sin * half, sin, cos, cy - 0.5 - sin * half - cos * half], side };
  }

  /** A box's model input from the gray of a frame, or of its part whose top left is `origin` in the frame. */
  function inputFromGray(gray, box, [x0, y0] = [0, 0]) {
    const { transform: [a0, a1, a2, b0, b1, b2], side } = cropSampling(box);
    return sampledInput(gray, [a0, a1, a2 - x0, b0, b1, b2 - y0], side);
  }

  /**
   * The part of a `width` x `height` frame that the boxes' crops read: whole pixels {x, y, w, h},
   * with a margin for bilinear sampling's neighbours. Reading only this part gives the same inputs
   * as the whole frame (estimate's `origin`), for less reading and less gray to make.
   */
  function regionFor(boxes, width, height) {
    const MARGIN = 2;
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const box of boxes) {
      const { transform: [a0, a1, a2, b0, b1, b2], side } = cropSampling(box);
      for (const [u, v] of [[0, 0], [side - 1, 0], [0, side - 1], [side - 1, side - 1]]) {
        const [x, y] = [a0 * u + a1 * v + a2, b0 * u + b1 * v + b2];
        [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      }
    }
    const left = Math.min(width - 1, Math.max(0, Math.floor(x0) - MARGIN));
    const top = Math.min(height - 1, Math.max(0, Math.floor(y0) - MARGIN));
    const right = Math.max(left + 1, Math.min(width, Math.ceil(x1) + MARGIN + 1));
    const bottom = Math.max(top + 1, Math.min(height, Math.ceil(y1) + MARGIN + 1));
    return { x: left, y: top, w: right - left, h: bottom - top };
  }

  /**
   * Where to read a frame for the boxes' crops: [regionFor(boxes)], one part for all of them, or,
   * when the faces lie apart (their own parts add up to less than half of that one), one part per
   * box, in the boxes' order: less of the frame drawn, read and turned gray.
   */
  function regionsFor(boxes, width, height) {
    const union = regionFor(boxes, width, height);
    if (boxes.length < 2) return [union];
    const own = boxes.map((box) => regionFor([box], width, height));
    return own.reduce((area, r) => area + r.w * r.h, 0) < (union.w * union.h) / 2 ? own : [union];
  }

  /** For the tests: one box's model input from a frame tensor (or its part at `origin`), as estimate() makes it. */
  function boxInput(frame, box, origin = [0, 0]) {
    const gray = grayFrame(frame);
    try {
      return inputFromGray(gray, box, origin);
    } finally {
      gray.dispose();
    }
  }

  /**
   * Frame tensor + detector boxes -> one result per box, with its crop rect. No pixel leaves the backend.
   * @param {tf.Tensor3D|tf.Tensor3D[]} frame  [height, width, 3] RGB as tf.browser.fromPixels gives it, or [height, width, 4] RGBA as pixels.js's frameTensor does;
   *   or one part of the frame per box (regionsFor's), each with its own origin.
   * @param {{x: number, y: number, w: number, h: number, roll?: number}[]} boxes  in frame pixels
   *   (roll: radians, the detector's; the crop turns by it when the manifest levels the eyes).
   * @param {{views?: boolean, origin?: number[]}} [options]  views: false for a single view each
   *   (default: the views for up to viewsUpTo faces); origin: where `frame`'s top left is in the
   *   frame the boxes are in, when it is only a part of it (regionFor's); one per box when `frame` is.
   */
  async function estimate(frame, boxes, { views: wanted = true, origin = [0, 0] } = {}) {
    if (boxes.length === 0) return [];
    const rects = boxes.map((b) => cropRect(b, cropScale, cropOffset));
    const views = outputs === null || (wanted && rects.length <= viewsUpTo);
    const node = outputs === null ? undefined : outputs[views ? 'views' : 'single'];
    const probs = tf.tidy(() => {
      const inputs = Array.isArray(frame)
        ? boxes.map((b, i) => inputFromGray(grayFrame(frame[i]), b, origin[i]))
        : ((gray) => boxes.map((b) => inputFromGray(gray, b, origin)))(grayFrame(frame));
      return model.execute(tf.stack(inputs), node);
    });
    try {
      return toResults(await probs.data()).map((res, i) => ({ ...res, crop: rects[i], views }));
    } finally {
      probs.dispose();
    }
  }

  /** Already-cropped faces ({width, height, channels: 1|3|4, data}) -> one result each. */
  async function estimateCrops(crops) {
    if (crops.length === 0) return [];
    return classifyGray(crops.map((c) => ({
      gray: cropGray(c, { x: 0, y: 0, w: c.width, h: c.height }, input.gray_weights), h: c.height, w: c.width,
    })));
  }

  return {
    labels,
    estimate,
    estimateCrops,
    regionFor,
    regionsFor,
    boxInput, // for the tests: a box's input against preprocessing.js's and the server's
    dispose: () => {
      model.dispose();
      grayFilters.forEach((f) => f.dispose());
      resizeMatrices.forEach(({ rows, cols }) => tf.dispose([rows, cols]));
      resizeMatrices.clear();
    },
  };
}
