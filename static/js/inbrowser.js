// In-browser mode: detector + classifier on the chosen TF.js backend. No frame
// leaves the device: pixels go from the video element into one float tensor a frame (pixels.js),
// and stay there: the detector's letterbox and the classifier's crops are tensor ops. The
// still-picture check reads a quarter-size thumbnail that the browser's own scaling draws (0.1 ms,
// against 2-3 ms to make it from the frame's tensor).
import { createDetector } from './detector.js';
import { createClassifier } from './classifier.js';
import { createRedetectGate } from './redetect.js';
import { frameTensor, sourceSize, thumbnail } from './pixels.js';
import { webgpuAdapter } from './backends.js';
import { loadTfjsBackend, wasmPaths } from './tfjs.js';
import { createViewsBudget } from './budget.js';

const tf = globalThis.tf;
// A task's turn for the page's other work (the camera's start, its events) between long steps.
const yieldToPage = () => new Promise((resolve) => setTimeout(resolve, 0));
const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'];
// The crowd model's faces whose top probability is below this go to the page's own model (a single
// view) while the frame budget allows: on FER+ PublicTest, where it was chosen, a third of the faces,
// and the labels shown then as accurate as the page's own model's within 0.1 point
// (python -m research.crowd_recheck).
const CROWD_RECHECK_BELOW = 0.75;

/**
 * Whether two values read from JSON are the same, whatever the order of their objects' keys: the
 * manifest the server writes into the page has its keys sorted, one fetched has the file's order.
 */
export function sameJson(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && sameJson(a[key], b[key]));
}

/**
 * The smaller classifier for frames with many faces (`crowd`: {name, fromFaces, load, recheckBelow?},
 * load giving {manifest, modelUrl}), loaded the first time that many faces are in view and run once
 * on a blank face before it is used (a model's first run packs its weights): until it is ready the
 * main classifier goes on, so no frame waits for it. `forFaces(n)`: the crowd classifier when it is
 * ready and n faces call for it, else null; `recheckBelow`: the top probability under which the
 * main classifier reads its face again; `cropsAlike`: whether both read the same crops of a frame.
 */
function lazyCrowdClassifier(crowd, { labels, input, detector }) {
  if (!crowd?.name) return { name: null, forFaces: () => null, dispose() {} };
  let loading = null;
  let ready = null;
  let disposed = false;
  async function load() {
    const { manifest, modelUrl } = await crowd.load();
    if (!sameJson(manifest.labels, labels)) {
      throw new Error(`its labels (${manifest.labels}) are not the page's (${labels})`);
    }
    const classifier = await createClassifier({ modelUrl, manifest, detector });
    const blank = tf.zeros([96, 96, 4]);
    try {
      await classifier.estimate(blank, [{ x: 0, y: 0, w: 96, h: 96 }], { views: false });
    } catch (err) {
      classifier.dispose();
      throw err;
    } finally {
      blank.dispose();
    }
    state.cropsAlike = sameJson(manifest.input, input);
    if (disposed) classifier.dispose(); else ready = classifier;
  }
  const state = {
    name: crowd.name,
    recheckBelow: crowd.recheckBelow ?? CROWD_RECHECK_BELOW,
    cropsAlike: true, // whether its input (size, framing) is the page's own model's: set once it has loaded
    forFaces(faces) {
      if (faces < crowd.fromFaces) return null;
      loading ??= load().catch((err) => console.warn(`The crowd model “${crowd.name}” is not used: ${err.message}`));
      return ready;
    },
    dispose() { disposed = true; ready?.dispose(); },
  };
  return state;
}

/**
 * Load both models on the current backend.
 * @param {object} config
 * @param {string} config.modelUrl    classifier model.json URL.
 * @param {object} config.manifest    classifier manifest.
 * @param {object} [config.detector]  options for createDetector.
 * @param {object} [config.redetect]  options for createRedetectGate (maxAgeMs 0: detect every frame).
 * @param {number} [config.frameBudgetMs]  the classifier's views run while a frame fits this (default 30 fps).
 * @param {{name: string, fromFaces: number, load: Function, recheckBelow?: number}} [config.crowd]  a
 *   smaller model for frames with fromFaces or more faces (lazyCrowdClassifier), whose faces with a
 *   top probability below recheckBelow (default CROWD_RECHECK_BELOW) the page's own model classifies
 *   again while the frame budget allows; none by default.
 * @returns {Promise<{kind: 'browser', backend: string, threads: number|null, analyse: Function, dispose: Function}>}
 */
export async function createBrowserEngine(config) {
  // Both models download and load at once: the first label waits for the slower, not the sum.
  const [detected, classified] = await Promise.allSettled([
    createDetector(config.detector),
    createClassifier({ modelUrl: config.modelUrl, manifest: config.manifest, detector: config.detector?.model?.name }),
  ]);
  if (detected.status === 'rejected' || classified.status === 'rejected') {
    if (detected.status === 'fulfilled') detected.value.dispose();
    if (classified.status === 'fulfilled') classified.value.dispose();
    throw (classified.status === 'rejected' ? classified : detected).reason;
  }
  const detector = detected.value;
  const classifier = classified.value;
  const crowd = lazyCrowdClassifier(config.crowd, { labels: classifier.labels, input: config.manifest.input,
    detector: config.detector?.model?.name });
  const gate = createRedetectGate(config.redetect);
  const budget = createViewsBudget(config.frameBudgetMs);
  let lastStart = null; // when the previous frame's analysis began
  let lastClassifyMs = null;

  /**
   * The crowd model's `results` for `boxes` (read from `frame` at `origin`, as estimate() takes
   * them): those with a top probability below crowd.recheckBelow, the least sure first, as many as
   * the frame budget has passes left for after `spentMs` of classifying, are replaced in place by
   * the page's own model's single view. Returns how many were.
   */
  async function recheck(results, frame, boxes, origin, spentMs) {
    const unsure = results.flatMap((r, i) => (r.confidence < crowd.recheckBelow ? [i] : []))
      .sort((a, b) => results[a].confidence - results[b].confidence)
      .slice(0, budget.passesThatFit(spentMs));
    if (!unsure.length) return 0;
    const parts = Array.isArray(frame); // one part of the frame per box, each with its origin
    const t0 = performance.now();
    const again = await classifier.estimate(parts ? unsure.map((i) => frame[i]) : frame, unsure.map((i) => boxes[i]),
      { views: false, origin: parts ? unsure.map((i) => origin[i]) : origin });
    budget.record({ faces: unsure.length, views: false, classifyMs: performance.now() - t0 });
    unsure.forEach((i, k) => { results[i] = again[k]; });
    return unsure.length;
  }

  /**
   * Analyse one frame from a video, image or canvas: {faces, width, height, timings, detected}.
   * `wholeFace`: the frame is one face, already cropped (the detector would miss a face that fills it).
   * `idleMs`: how long the page waited for the screen since the previous frame (the frame budget's rechecks may use it).
   * `detected`: whether BlazeFace ran (false: the last boxes were kept, static/js/redetect.js; null: wholeFace).
   */
  async function analyse(source, { wholeFace = false, idleMs = 0 } = {}) {
    const t0 = performance.now();
    const period = lastStart === null ? null : t0 - lastStart; // the whole previous frame, page included
    lastStart = t0;
    const { width, height } = sourceSize(source);
    let whole = null; // the whole frame, read when the detector runs
    let parts = []; // else the parts of it that the kept boxes' crops read (the same inputs, read faster)
    try {
      const { boxes, detected } = wholeFace
        ? { boxes: [{ x: 0, y: 0, w: width, h: height, score: 1 }], detected: null }
        : await gate.boxesFor(gate.active ? thumbnail(source, width, height) : null,
          () => detector.estimate(whole = frameTensor(source)), t0);
      // Many faces: the crowd model once it is ready (then each face costs a quarter).
      const chosen = crowd.forFaces(boxes.length) ?? classifier;
      // A crowd model that crops otherwise than the page's own (another input size or framing) reads the
      // whole frame, where the page's own model may read its unsure faces again (recheck).
      if (whole === null && boxes.length && chosen !== classifier && !crowd.cropsAlike) whole = frameTensor(source);
      let [frame, origin] = [whole, [0, 0]];
      if (whole === null && boxes.length) {
        const regions = chosen.regionsFor(boxes, width, height); // one part for all faces, or one each
        parts = regions.map((region, i) => frameTensor(source, region, regions.length > 1 ? `part${i}` : 'frame'));
        const origins = regions.map((region) => [region.x, region.y]);
        [frame, origin] = parts.length === 1 ? [parts[0], origins[0]] : [parts, origins];
      }
      const t1 = performance.now();
      const results = boxes.length
        ? await chosen.estimate(frame, boxes, { views: budget.fits(boxes.length), origin }) : [];
      const rechecked = chosen === classifier ? 0 : await recheck(results, frame, boxes, origin, performance.now() - t1);
      const t2 = performance.now();
      // The rest of a frame: the last period less its classifier, else (a first or a late frame) this one's detection.
      const measured = period !== null && period < 1000 && lastClassifyMs !== null;
      const rest = measured ? period - lastClassifyMs : t1 - t0;
      lastClassifyMs = t2 - t1;
      // The views' budget learns the main classifier's cost per face only.
      budget.record({ faces: chosen === classifier ? results.length : 0, views: results[0]?.views, classifyMs: t2 - t1,
        restMs: rest, idle: measured ? idleMs : 0 });
      const faces = results.map((r, i) => ({
        box: [boxes[i].x, boxes[i].y, boxes[i].w, boxes[i].h],
        roll: ((boxes[i].roll ?? 0) * 180) / Math.PI, // degrees, as the server reports it
        label: r.label,
        confidence: r.confidence,
        probabilities: r.probabilities,
      }));
      return {
        // views: whether the classifier ran its test-time views (few faces) or a single view each.
        // model: the crowd model's name when it classified these faces, else null (the page's own);
        // rechecked: how many of its faces the page's own model classified again.
        faces, width, height, detected, views: results[0]?.views ?? null, model: chosen === classifier ? null : crowd.name,
        rechecked,
        timings: { detect: t1 - t0, classify: t2 - t1, total: t2 - t0 },
      };
    } finally {
      whole?.dispose();
      parts.forEach((part) => part.dispose());
    }
  }

  /**
   * One full frame with one forced face, so both models have run (weights packed, shaders
   * compiled) as the first frame will. Before each model the page gets its turn (a task), so a
   * camera that is starting meanwhile comes on without waiting for the warm-up to end; once
   * `enough()` (asked then) is true, the rest is skipped: the first frame runs at once and pays it.
   * Returns the ms the models ran, or null when neither ran.
   */
  async function warmup(source, enough = () => false) {
    await yieldToPage();
    if (enough()) return null;
    const frame = frameTensor(source);
    try {
      let t0 = performance.now();
      await detector.estimate(frame);
      let ranMs = performance.now() - t0;
      await yieldToPage();
      if (!enough()) {
        t0 = performance.now();
        // A levelled crop, as BlazeFace's are, with a single view, as the first frame has.
        await classifier.estimate(frame, [{ x: 0, y: 0, w: 96, h: 96, roll: 0.1 }], { views: false });
        ranMs += performance.now() - t0;
      }
      if (gate.active) thumbnail(source, frame.shape[1], frame.shape[0]);
      return ranMs;
    } finally {
      frame.dispose();
    }
  }

  return {
    kind: 'browser',
    warmup,
    backend: tf.getBackend(),
    // XNNPACK's threads: more than 1 only when the page is cross-origin isolated (SharedArrayBuffer),
    // and TF.js caps them at half of navigator.hardwareConcurrency (it assumes two threads per core).
    threads: tf.getBackend() === 'wasm' ? tf.wasm.getThreadsCount() : null,
    labels: classifier.labels,
    analyse,
    reset() { gate.reset(); lastStart = null; }, // a new source: detect on its first frame
    dispose() { detector.dispose(); classifier.dispose(); crowd.dispose(); },
  };
}

/** Switch TF.js to `name`; false when that backend cannot start here. */
export async function useBackend(name) {
  // Without a WebGPU adapter its backend cannot start: its script is not even downloaded.
  if (name === 'webgpu' && (await webgpuAdapter()) === null) return false;
  try {
    await loadTfjsBackend(name);
    if (name === 'wasm' && tf.wasm) tf.wasm.setWasmPaths(wasmPaths());
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch (err) {
    console.warn(`TF.js backend ${name} failed: ${err.message}`);
    return false;
  }
}

/**
 * Start the in-browser engine on `requested` ('auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu').
 * 'auto' loads the models on each backend that starts, times a few warm-up frames,
 * and keeps the fastest (software WebGL can be slower than WASM). Returns the engine
 * and the measured ms per backend (null: it did not start; 'software': a fallback WebGPU
 * adapter, not timed).
 */
export async function startBrowserEngine(config, requested = 'auto', warmupSource = null) {
  // 'auto' times WebGPU, WebGL and WASM; CPU (far slower) only runs when none starts.
  const names = requested === 'auto' ? BACKEND_ORDER.filter((b) => b !== 'cpu') : [requested];
  const measured = {};
  let best = null;
  let lastError = null;
  for (const name of names) {
    if (requested === 'auto' && name === 'webgpu' && (await webgpuAdapter())?.software) {
      measured[name] = 'software'; // a WebGPU adapter on the CPU: WASM is faster there
      continue;
    }
    if (!(await useBackend(name))) { measured[name] = null; continue; }
    let engine;
    try {
      engine = await createBrowserEngine(config);
    } catch (err) {
      lastError = err;
      measured[name] = null;
      if (/could not be loaded/.test(err.message)) throw err; // a missing model fails on every backend
      continue;
    }
    if (names.length === 1) return { engine, measured };
    const canvas = warmupSource ?? Object.assign(document.createElement('canvas'), { width: 640, height: 480 });
    const times = [];
    for (let i = 0; i < 2; i++) times.push(await engine.warmup(canvas)); // the first run compiles
    measured[name] = Math.min(...times.slice(1));
    engine.dispose();
    if (best === null || measured[name] < measured[best]) best = name;
  }
  if (best === null && requested === 'auto' && await useBackend('cpu')) best = 'cpu';
  if (best === null) throw lastError ?? new Error(`No TF.js backend could start (tried ${names.join(', ')})`);
  await useBackend(best);
  return { engine: await createBrowserEngine(config), measured };
}
