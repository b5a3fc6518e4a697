// Face detection with BlazeFace (the 256x256 "back" model, a TF.js graph model
// shipped in the @vladmandic/human npm package, served locally). The frame is
// padded to a square so faces keep their shape, resized, run once, and the 896
// anchor predictions are decoded and de-duplicated (NMS) in plain JS.
import { iou } from './boxes.js';

const tf = globalThis.tf;

const DEFAULTS = {
  modelUrl: '/vendor/@vladmandic/human/models/blazeface.json',
  minConfidence: 0.5, // sigmoid score to keep a candidate
  iouThreshold: 0.3, // overlap above which the weaker of two boxes is dropped
  maxFaces: 10,
  minFaceSize: 24, // px in the frame: smaller faces are skipped, not guessed
};

// Anchor centres in input pixels: a 16x16 grid with 2 anchors per cell, then 8x8 with 6.
function makeAnchors(inputSize) {
  const anchors = [];
  [[inputSize / 16, 2], [inputSize / 8, 6]].forEach(([stride, perCell]) => {
    const cells = Math.ceil(inputSize / stride);
    for (let gy = 0; gy < cells; gy++) {
      for (let gx = 0; gx < cells; gx++) {
        for (let n = 0; n < perCell; n++) anchors.push([stride * (gx + 0.5), stride * (gy + 0.5)]);
      }
    }
  });
  return anchors;
}

/**
 * Load the detector.
 * @param {object} [config]
 * @param {string} [config.modelUrl]       BlazeFace graph model URL.
 * @param {number} [config.minConfidence]  score threshold, 0..1.
 * @param {number} [config.iouThreshold]   NMS overlap threshold, 0..1.
 * @param {number} [config.maxFaces]       most faces returned.
 * @param {number} [config.minFaceSize]    smallest face side in frame pixels.
 * @returns {Promise<{estimate: Function, dispose: Function}>}
 */
export async function createDetector(config = {}) {
  const opts = { ...DEFAULTS, ...config };
  let model;
  try {
    model = await tf.loadGraphModel(opts.modelUrl);
  } catch (err) {
    throw new Error(`The face detector could not be loaded from ${opts.modelUrl}: ${err.message}`);
  }
  const inputSize = model.inputs[0].shape[1] > 0 ? model.inputs[0].shape[1] : 256;
  const anchors = makeAnchors(inputSize);

  /** Frame [H, W, 3] RGB tensor -> [{x, y, w, h, score}] in frame pixels, best first. */
  async function estimate(frame) {
    const [H, W] = frame.shape;
    const side = Math.max(H, W);
    const raw = tf.tidy(() => {
      // Resize first, then pad to the square (bottom and right): padding the small image is cheap.
      const h = Math.round((H * inputSize) / side);
      const w = Math.round((W * inputSize) / side);
      const resized = tf.image.resizeBilinear(frame, [h, w]);
      const square = tf.pad(resized, [[0, inputSize - h], [0, inputSize - w], [0, 0]]);
      const x = tf.expandDims(tf.sub(tf.div(square, 127.5), 1), 0);
      // Four outputs: scores and boxes for the 512 fine and the 384 coarse anchors.
      const [s384, s512, b384, b512] = model.execute(x).sort((a, b) => a.size - b.size);
      const fine = tf.concat([s512, b512], 2);
      const coarse = tf.concat([s384, b384], 2);
      return tf.squeeze(tf.slice(tf.concat([fine, coarse], 1), [0, 0, 0], [1, -1, 5]), [0]);
    });
    const data = await raw.data();
    raw.dispose();
    const k = side / inputSize;
    const candidates = [];
    for (let i = 0; i < anchors.length; i++) {
      const score = 1 / (1 + Math.exp(-data[i * 5]));
      if (score < opts.minConfidence) continue;
      const cx = data[i * 5 + 1] + anchors[i][0];
      const cy = data[i * 5 + 2] + anchors[i][1];
      const w = data[i * 5 + 3];
      const h = data[i * 5 + 4];
      candidates.push({ x: (cx - w / 2) * k, y: (cy - h / 2) * k, w: w * k, h: h * k, score });
    }
    candidates.sort((a, b) => b.score - a.score);
    const kept = [];
    for (const c of candidates) {
      if (kept.length >= opts.maxFaces) break;
      if (kept.every((b) => iou(b, c) <= opts.iouThreshold)) kept.push(c);
    }
    return kept
      .map((b) => {
        const x = Math.max(0, b.x);
        const y = Math.max(0, b.y);
        return { x, y, w: Math.min(W, b.x + b.w) - x, h: Math.min(H, b.y + b.h) - y, score: b.score };
      })
      .filter((b) => b.w >= opts.minFaceSize && b.h >= opts.minFaceSize);
  }

  return { estimate, dispose: () => model.dispose() };
}
