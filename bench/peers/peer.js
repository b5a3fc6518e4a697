// A minimal real-time page for one peer library, run by `python -m bench.peers`:
//   ?lib=faceapi&size=224|416   face-api.js: TinyFaceDetector at that input size + faceExpressionNet
//   ?lib=human                  Human: face detector + emotion only, every other module off
// Like the app's page (static/js/boot.js): the models load while the camera opens (640x480, the
// same constraints), then detect + classify one frame after another, drawing the boxes, with a
// requestAnimationFrame between frames. Each frame's result goes to window.bench.history as
// {t: performance.now(), faces, labelled, ms}, the fields the bench reads from our page's
// window.ferApp.history. TF.js runs on the WASM backend; the bench sets the thread count.
const MODULES = '/node_modules';
const WASM_PATH = `${MODULES}/@tensorflow/tfjs-backend-wasm/dist/`;

const params = new URLSearchParams(location.search);
const bench = { lib: params.get('lib'), size: Number(params.get('size') || 224), history: [], ready: false,
  error: null, backend: null, threads: null, video: null };
window.bench = bench;

const video = document.getElementById('video');
const overlay = document.getElementById('overlay');
const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** TF.js's WASM thread count, read from the backend itself (works on any bundle of TF.js 4). */
function wasmThreads(tf) {
  try { return tf.backend().wasm.tfjs.getThreadsCount(); } catch { return null; }
}

async function openCamera() {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, facingMode: 'user' }, audio: false });
  video.srcObject = stream;
  await video.play();
  if (!video.videoWidth) await new Promise((resolve) => video.addEventListener('loadeddata', resolve, { once: true }));
  overlay.width = video.videoWidth;
  overlay.height = video.videoHeight;
  bench.video = [video.videoWidth, video.videoHeight];
}

/** face-api.js: returns analyse(video) -> [{box: [x, y, w, h], label}]. */
async function startFaceApi(size) {
  const faceapi = await import(`${MODULES}/@vladmandic/face-api/dist/face-api.esm.js`);
  const { tf } = faceapi;
  tf.setWasmPaths(WASM_PATH);
  if (!(await tf.setBackend('wasm'))) throw new Error('face-api: the WASM backend did not start');
  await tf.ready();
  const models = `${MODULES}/@vladmandic/face-api/model`;
  await Promise.all([faceapi.nets.tinyFaceDetector.loadFromUri(models), faceapi.nets.faceExpressionNet.loadFromUri(models)]);
  const options = new faceapi.TinyFaceDetectorOptions({ inputSize: size, scoreThreshold: 0.5 });
  bench.backend = tf.getBackend();
  bench.threads = wasmThreads(tf);
  return async (source) => {
    const results = await faceapi.detectAllFaces(source, options).withFaceExpressions();
    return results.map((r) => {
      const { x, y, width, height } = r.detection.box;
      const [label] = Object.entries(r.expressions).sort((a, b) => b[1] - a[1])[0] ?? [null];
      return { box: [x, y, width, height], label };
    });
  };
}

/** Human: face detection + emotion on every frame (its caches, which skip frames, off). */
async function startHuman() {
  const { default: Human } = await import(`${MODULES}/@vladmandic/human/dist/human.esm.js`);
  const off = { enabled: false };
  const human = new Human({
    backend: 'wasm', wasmPath: WASM_PATH, modelBasePath: `${MODULES}/@vladmandic/human/models/`,
    debug: false, warmup: 'none', cacheSensitivity: 0, filter: { enabled: false },
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 10, skipFrames: 0, skipTime: 0, return: false },
      mesh: off, iris: off, description: off, antispoof: off, liveness: off, attention: off,
      emotion: { enabled: true, skipFrames: 0, skipTime: 0 },
    },
    body: off, hand: off, object: off, gesture: off, segmentation: off,
  });
  await human.load();
  await human.tf.ready();
  if (human.tf.getBackend() !== 'wasm') throw new Error(`Human: backend is ${human.tf.getBackend()}, not wasm`);
  bench.backend = human.tf.getBackend();
  bench.threads = wasmThreads(human.tf);
  return async (source) => {
    const result = await human.detect(source);
    if (result.error) throw new Error(`Human: ${result.error}`);
    return result.face.map((f) => ({ box: f.box, label: f.emotion?.[0]?.emotion ?? null }));
  };
}

function draw(faces) {
  const ctx = overlay.getContext('2d');
  ctx.clearRect(0, 0, overlay.width, overlay.height);
  ctx.strokeStyle = '#0f0';
  ctx.fillStyle = '#0f0';
  ctx.font = '16px sans-serif';
  for (const { box: [x, y, w, h], label } of faces) {
    ctx.strokeRect(x, y, w, h);
    if (label) ctx.fillText(label, x, y - 4);
  }
}

async function main() {
  const engine = bench.lib === 'human' ? startHuman() : startFaceApi(bench.size);
  await openCamera();
  const analyse = await engine;
  bench.ready = true;
  for (;;) {
    if (video.readyState < 2) { await sleep(100); continue; }
    const t0 = performance.now();
    const faces = await analyse(video);
    const t = performance.now();
    draw(faces);
    bench.history.push({ t, faces: faces.length, labelled: faces.filter((f) => f.label).length, ms: t - t0 });
    if (bench.history.length > 5000) bench.history.shift();
    await nextPaint();
  }
}

main().catch((err) => { bench.error = String(err?.stack || err); console.error(err); });
