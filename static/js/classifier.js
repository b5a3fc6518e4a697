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

  const grayWeights = tf.tensor1d(input.gray_weights);

  /** One axis of INTER_AREA taps as a [dst, src] matrix, so a resize is two matrix products. */
  function tapMatrix(taps, src) {
    const m = new Float32Array(taps.length * src);
    taps.forEach((row, d) => row.forEach(([s, k]) => { m[d * src + s] += k; }));
    return tf.tensor2d(m, [taps.length, src]);
  }

  /**
   * One face's model input [H, W, C] from a frame tensor, on the backend: the crop `rect` (black
   * outside the frame, as on the server), to gray with the manifest's weights, resized as OpenCV's
   * INTER_AREA (preprocessing.js's taps, as matrices) and scaled. preprocessFace's twin in tensors.
   */
  function faceInput(frame, rect) {
    const [FH, FW] = frame.shape;
    const x0 = Math.min(FW, Math.max(0, rect.x));
    const y0 = Math.min(FH, Math.max(0, rect.y));
    const x1 = Math.min(FW, Math.max(0, rect.x + rect.w));
    const y1 = Math.min(FH, Math.max(0, rect.y + rect.h));
    return tf.tidy(() => {
      let gray = tf.zeros([rect.h, rect.w]);
      if (x1 > x0 && y1 > y0) {
        const rgb = tf.cast(tf.slice(frame, [y0, x0, 0], [y1 - y0, x1 - x0, 3]), 'float32');
        gray = tf.pad(tf.sum(tf.mul(rgb, grayWeights), 2),
          [[y0 - rect.y, rect.y + rect.h - y1], [x0 - rect.x, rect.x + rect.w - x1]]);
      }
      const { rows, cols } = areaTaps(rect.h, rect.w, H, W);
      const resized = tf.matMul(tf.matMul(tapMatrix(rows, rect.h), gray), tapMatrix(cols, rect.w), false, true);
      return tf.reshape(tf.add(tf.div(resized, input.scale), input.offset), [H, W, C]);
    });
  }

  /**
   * faceInput for a face whose crop turns with it so that its eyes come out level (the manifest's
   * level_eyes; `box.roll` in radians, from the detector's eyes): server/crop.py's levelled_crop,
   * the same points sampled bilinearly (tf.image.transform), black outside the frame.
   */
  function levelledFaceInput(frame, box) {
    const [FH, FW] = frame.shape;
    const side = cropRect(box, cropScale, cropOffset).w;
    const cos = Math.cos(box.roll);
    const sin = Math.sin(box.roll);
    const [ox, oy] = [cropOffset[0] * side, cropOffset[1] * side];
    const cx = box.x + box.w / 2 + cos * ox - sin * oy;
    const cy = box.y + box.h / 2 + sin * ox + cos * oy;
    // Only the frame around the turned square is read (sliced, then cast): its half-diagonal plus
    // the bilinear neighbours.
    const reach = (side / 2) * (Math.abs(cos) + Math.abs(sin)) + 2;
    const x0 = Math.max(0, Math.floor(cx - reach));
    const y0 = Math.max(0, Math.floor(cy - reach));
    const x1 = Math.min(FW, Math.ceil(cx + reach));
    const y1 = Math.min(FH, Math.ceil(cy + reach));
    const half = side / 2 - 0.5; // output pixel (u, v) reads centre + R (u - half, v - half), pixel centres at whole numbers
    return tf.tidy(() => {
      let gray = tf.zeros([side, side]);
      if (x1 > x0 && y1 > y0) {
        const region = tf.expandDims(tf.cast(tf.slice(frame, [y0, x0, 0], [y1 - y0, x1 - x0, 3]), 'float32'), 0);
        const transform = [cos, -sin, cx - 0.5 - x0 - cos * half + sin * half,
          sin, cos, cy - 0.5 - y0 - sin * half - cos * half, 0, 0];
        const turned = tf.image.transform(region, tf.tensor2d([transform]), 'bilinear', 'constant', 0, [side, side]);
        gray = tf.reshape(tf.sum(tf.mul(turned, grayWeights), 3), [side, side]);
      }
      const { rows, cols } = areaTaps(side, side, H, W);
      const resized = tf.matMul(tf.matMul(tapMatrix(rows, side), gray), tapMatrix(cols, side), false, true);
      return tf.reshape(tf.add(tf.div(resized, input.scale), input.offset), [H, W, C]);
    });
  }

  /** The model input for one detector box: levelled when the manifest asks and the box has a roll. */
  function boxInput(frame, box) {
    return levelEyes && box.roll ? levelledFaceInput(frame, box) : faceInput(frame, cropRect(box, cropScale, cropOffset));
  }

  /**
   * Frame tensor + detector boxes -> one result per box, with its crop rect. No pixel leaves the backend.
   * @param {tf.Tensor3D} frame  [height, width, 3] RGB, as tf.browser.fromPixels gives it.
   * @param {{x: number, y: number, w: number, h: number}[]} boxes  in frame pixels.
   * @param {{views?: boolean}} [options]  views: false for a single view each (default: the views
   *   for up to viewsUpTo faces).
   */
  async function estimate(frame, boxes, { views: wanted = true } = {}) {
    if (boxes.length === 0) return [];
    const rects = boxes.map((b) => cropRect(b, cropScale, cropOffset));
    const views = outputs === null || (wanted && rects.length <= viewsUpTo);
    const node = outputs === null ? undefined : outputs[views ? 'views' : 'single'];
    const probs = tf.tidy(() => model.execute(tf.stack(boxes.map((b) => boxInput(frame, b))), node));
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
    faceInput, // for the tests: the tensor path's input against preprocessFace's
    boxInput, // for the tests: a detector box's input against the server's crop
    dispose: () => { model.dispose(); grayWeights.dispose(); },
  };
}
