// The expression classifier: the project's exported TF.js graph model, driven by
// its manifest (labels, input shape, preprocessing). Several faces run as one batch.
import { cropRect, cropGray, preprocessFace } from './preprocessing.js';

const tf = globalThis.tf;

/**
 * Load the classifier.
 * @param {object} config
 * @param {string} config.modelUrl  URL of the TF.js graph model (model.json).
 * @param {object} config.manifest  the model's manifest.json (labels, input).
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
  // How the page's detector (Human's BlazeFace) frames a face against the training faces, measured
  // by bench.framing; else the plain crop_scale (1, the bare box, for the first exports).
  const framing = input.framing?.[config.detector ?? 'human_blazeface'];
  const cropScale = framing?.crop_scale ?? input.crop_scale ?? 1;
  const cropOffset = framing?.crop_offset ?? [0, 0];
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

  /**
   * Frame pixels + detector boxes -> one result per box, with its crop rect.
   * @param {{data: ArrayLike<number>, width: number, height: number, channels: number}} frame  RGB(A) pixels.
   * @param {{x: number, y: number, w: number, h: number}[]} boxes  in frame pixels.
   */
  async function estimate(frame, boxes) {
    if (boxes.length === 0) return [];
    const rects = boxes.map((b) => cropRect(b, cropScale, cropOffset));
    const results = await classifyGray(rects.map((r) => ({ gray: cropGray(frame, r, input.gray_weights), h: r.h, w: r.w })));
    return results.map((res, i) => ({ ...res, crop: rects[i] }));
  }

  /** Already-cropped faces ({width, height, channels: 1|3|4, data}) -> one result each. */
  async function estimateCrops(crops) {
    if (crops.length === 0) return [];
    return classifyGray(crops.map((c) => ({
      gray: cropGray(c, { x: 0, y: 0, w: c.width, h: c.height }, input.gray_weights), h: c.height, w: c.width,
    })));
  }

  return { labels, estimate, estimateCrops, dispose: () => model.dispose() };
}
