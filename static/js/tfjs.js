// TensorFlow.js, loaded only when in-browser analysis starts: server mode never downloads it.
// Only the parts the page runs are loaded: TF.js's core, the graph-model converter and the WASM
// backend (540 kB before compression, against 1.1 MB for the whole tf.min.js, and half the time
// to run it); the WebGPU, WebGL and CPU backends only when one is asked for. They are UMD builds that
// share globalThis.tf; the modules that use tf (inbrowser.js, detector.js, classifier.js) read it
// when first imported, so they are imported only after loadTfjs() has resolved.
import { vendorUrl } from './vendor.js';

const SCRIPTS = [
  ['@tensorflow/tfjs-core', 'dist/tf-core.es2017.min.js'],
  // These register themselves on the core above, so they load after it.
  ['@tensorflow/tfjs-converter', 'dist/tf-converter.es2017.min.js'],
  ['@tensorflow/tfjs-backend-wasm', 'dist/tf-backend-wasm.es2017.min.js'],
];
const BACKEND_SCRIPTS = {
  webgpu: ['@tensorflow/tfjs-backend-webgpu', 'dist/tf-backend-webgpu.es2017.min.js'],
  webgl: ['@tensorflow/tfjs-backend-webgl', 'dist/tf-backend-webgl.es2017.min.js'],
  cpu: ['@tensorflow/tfjs-backend-cpu', 'dist/tf-backend-cpu.es2017.min.js'],
};
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';
// The backend's three builds: it runs the one this browser supports (SIMD, threads).
const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** Where the WASM backend finds each of its builds (tf.wasm.setWasmPaths): under versioned URLs, as TF.js's scripts. */
export function wasmPaths() {
  return Object.fromEntries(WASM_BINARIES.map((name) => [name, vendorUrl(WASM_PACKAGE, `dist/${name}`)]));
}

const scriptUrl = ([pkg, file]) => vendorUrl(pkg, file);

/**
 * Whether the WASM backend should run its threaded build: only where it would get two threads or
 * more (TF.js gives it half of navigator.hardwareConcurrency) and the page is cross-origin isolated.
 * With one thread the threaded build only adds a worker to start (about 100 ms).
 */
export function wasmThreaded() {
  return Boolean(globalThis.crossOriginIsolated) && Math.floor((navigator.hardwareConcurrency || 1) / 2) >= 2;
}

let loading = null;
const backendsLoading = {};

function addScript(src) {
  return new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement('script'), { src, async: false });
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`TensorFlow.js could not be loaded from ${src}`));
    document.head.append(script);
  });
}

/** A <link rel=preload>: the browser fetches `href` now and hands it to the later request for it. */
export function preload(href, as) {
  const link = Object.assign(document.createElement('link'), { rel: 'preload', href, as });
  if (as === 'fetch') link.crossOrigin = 'anonymous'; // what fetch() asks for, else the preload is not used
  document.head.append(link);
}

/**
 * Start downloading TF.js, its WASM backend and the backend's WebAssembly binary without running
 * anything: loadTfjs() runs the scripts in order later, and finds them downloaded.
 */
export function preloadTfjs() {
  SCRIPTS.forEach((script) => preload(scriptUrl(script), 'script'));
  preload(wasmPaths()[wasmThreaded() ? 'tfjs-backend-wasm-threaded-simd.wasm' : 'tfjs-backend-wasm-simd.wasm'], 'fetch');
}

/** Load TF.js once (later calls share the first load); resolves to globalThis.tf. */
export function loadTfjs() {
  if (globalThis.tf?.wasm && globalThis.tf?.loadGraphModel) return Promise.resolve(globalThis.tf);
  loading ??= (async () => {
    await Promise.all(SCRIPTS.map((script) => addScript(scriptUrl(script)))); // async: false keeps their order
    if (!globalThis.tf?.loadGraphModel) throw new Error('TensorFlow.js did not load');
    // Before the backend starts: the single-threaded build where threads would not pay.
    if (!wasmThreaded()) globalThis.tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    return globalThis.tf;
  })();
  loading.catch(() => { loading = null; }); // a failed load may be tried again
  return loading;
}

/** Load the script of TF.js backend `name` ('webgpu', 'webgl' or 'cpu') once; WASM comes with loadTfjs(). */
export function loadTfjsBackend(name) {
  if (!BACKEND_SCRIPTS[name]) return Promise.resolve();
  backendsLoading[name] ??= addScript(scriptUrl(BACKEND_SCRIPTS[name]));
  backendsLoading[name].catch(() => { delete backendsLoading[name]; });
  return backendsLoading[name];
}
