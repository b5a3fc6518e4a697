// Face detection with MediaPipe's BlazeFace: the network the server runs with TFLite, rebuilt for
// TF.js by converters/face_detector.py, so both modes box the same faces. The graph takes the
// letterboxed square (0..255 RGB) and returns every anchor's score and box; what is left here is
// what server/detectors/blazeface.py does around its model: letterbox the frame, keep the scores
// above the threshold, merge overlapping boxes (MediaPipe's weighted NMS) and undo the letterbox.
import { iou } from './boxes.js';

const tf = globalThis.tf;

const DEFAULTS = {
  maxFaces: 10,
  minFaceSize: 24, // px in the frame: smaller faces are skipped, not guessed (server: FER_MIN_FACE)
};

/**
 * The frame ([H, W, 3] RGB or [H, W, 4] RGBA, 0..255) letterboxed into the detector's square: scaled to fit, centred, black around it.
 * Shrinking averages whole blocks of pixels (like the server's INTER_AREA) rather than sampling a
 * few: a 640x480 frame is shrunk 3.3 times for the full-range model, and sampling alone aliases.
 * @returns {{square: tf.Tensor4D, scale: number, padX: number, padY: number}}
 */
export function letterbox(frame, size) {
  const [H, W] = frame.shape;
  const scale = size / Math.max(H, W);
  const w = Math.max(1, Math.round(W * scale));
  const h = Math.max(1, Math.round(H * scale));
  const padX = Math.floor((size - w) / 2);
  const padY = Math.floor((size - h) / 2);
  const square = tf.tidy(() => {
    let x = frame.dtype === 'float32' ? frame : tf.cast(frame, 'float32');
    const block = Math.floor(Math.max(H, W) / size); // integer shrink by averaging, the rest by bilinear
    if (block > 1) {
      if (H !== h * block || W !== w * block) x = tf.image.resizeBilinear(x, [h * block, w * block], false, true);
      x = tf.avgPool(x, block, block, 'valid');
    } else if (H !== h || W !== w) {
      x = tf.image.resizeBilinear(x, [h, w], false, true);
    }
    if (x.shape[2] > 3) x = tf.slice(x, [0, 0, 0], [h, w, 3]); // an RGBA frame (pixels.js): alpha dropped once shrunk
    return tf.expandDims(tf.pad(x, [[padY, size - h - padY], [padX, size - w - padX], [0, 0]]), 0);
  });
  return { square, scale, padX, padY };
}

/**
 * MediaPipe's weighted NMS (server/detectors/blazeface.py's weighted_nms): each cluster around the
 * best remaining box becomes the score-weighted mean of the cluster, keeping the best score.
 * @param {{x, y, w, h, score}[]} candidates
 */
export function weightedNms(candidates, threshold) {
  let remaining = [...candidates].sort((a, b) => b.score - a.score);
  const merged = [];
  while (remaining.length) {
    const best = remaining[0];
    const cluster = [];
    const rest = [];
    for (const c of remaining) (iou(best, c) > threshold ? cluster : rest).push(c);
    remaining = rest;
    const total = cluster.reduce((sum, c) => sum + c.score, 0);
    const mean = (value) => cluster.reduce((sum, c) => sum + value(c) * c.score, 0) / total;
    // Corners are averaged, as the server averages (xmin, ymin, xmax, ymax), and the eyes alike.
    const x0 = mean((c) => c.x);
    const y0 = mean((c) => c.y);
    const box = { x: x0, y: y0, w: mean((c) => c.x + c.w) - x0, h: mean((c) => c.y + c.h) - y0, score: best.score };
    if (best.eyes) box.eyes = best.eyes.map((_, k) => mean((c) => c.eyes[k]));
    merged.push(box);
  }
  return merged;
}

/** The face's roll from its eyes [right x, right y, left x, left y]: the Detection.roll of server/detectors/base.py. */
export function rollOf(eyes) {
  return eyes ? Math.atan2(eyes[3] - eyes[1], eyes[2] - eyes[0]) : 0;
}

/**
 * Load the detector the server names in the page (data-detector: {name, url, size, min_score, nms_iou}).
 * @param {object} config
 * @param {{name: string, url: string, size: number, min_score: number, nms_iou: number}} config.model
 * @param {number} [config.minConfidence]  score threshold, 0..1 (else the model's own, as on the server).
 * @param {number} [config.maxFaces]       most faces returned.
 * @param {number} [config.minFaceSize]    smallest face side in frame pixels.
 * @returns {Promise<{name: string, estimate: Function, dispose: Function}>}
 */
export async function createDetector(config = {}) {
  const opts = { ...DEFAULTS, ...config };
  const spec = opts.model;
  if (!spec?.url) throw new Error('The face detector could not be loaded: this server has not built it (make setup)');
  const minScore = opts.minConfidence ?? spec.min_score;
  let model;
  try {
    model = await tf.loadGraphModel(spec.url);
  } catch (err) {
    throw new Error(`The face detector could not be loaded from ${spec.url}: ${err.message}`);
  }
  const outputs = ['scores', 'boxes'].map((key) => model.signature.outputs[key].name);

  /** Frame [H, W, 3] RGB or [H, W, 4] RGBA tensor -> [{x, y, w, h, score, roll}] in frame pixels, best first (roll: Detection.roll). */
  async function estimate(frame) {
    const [H, W] = frame.shape;
    const { square, scale, padX, padY } = letterbox(frame, spec.size);
    const [scoresT, boxesT] = model.execute(square, outputs);
    square.dispose();
    // Each box: its corners, then (detectors built with them) the eyes; without eyes, roll is 0.
    const stride = boxesT.shape[1];
    const [scores, boxes] = await Promise.all([scoresT.data(), boxesT.data()]);
    scoresT.dispose();
    boxesT.dispose();
    // Normalised square corners -> frame pixels.
    const toFrame = (v, pad) => (v * spec.size - pad) / scale;
    const candidates = [];
    for (let i = 0; i < scores.length; i++) {
      if (scores[i] < minScore) continue;
      const b = i * stride;
      const x0 = toFrame(boxes[b], padX);
      const y0 = toFrame(boxes[b + 1], padY);
      const candidate = { x: x0, y: y0, w: toFrame(boxes[b + 2], padX) - x0, h: toFrame(boxes[b + 3], padY) - y0, score: scores[i] };
      if (stride >= 8) candidate.eyes = Array.from(boxes.subarray(b + 4, b + 8));
      candidates.push(candidate);
    }
    return weightedNms(candidates, spec.nms_iou)
      .slice(0, opts.maxFaces)
      .map((b) => {
        const x = Math.max(0, b.x);
        const y = Math.max(0, b.y);
        // The letterbox scales both axes alike, so the normalised eyes give the angle as they are.
        return { x, y, w: Math.min(W, b.x + b.w) - x, h: Math.min(H, b.y + b.h) - y, score: b.score, roll: rollOf(b.eyes) };
      })
      .filter((b) => b.w >= opts.minFaceSize && b.h >= opts.minFaceSize);
  }

  return { name: spec.name, estimate, dispose: () => model.dispose() };
}
