// Which TF.js backend to try first, before any model is loaded. Timing WebGL (and WebGPU) against WASM costs
// seconds on a software WebGL renderer (SwiftShader, llvmpipe: 1.4 to 2.2 s per warm-up frame, where
// WASM takes tens of ms), so a software renderer is skipped outright, and the backend a trial
// picked is remembered per browser so that the next visit starts on it at once.
const STORAGE_KEY = 'realtime-fer.backend';
const REMEMBERED = ['webgpu', 'webgl', 'wasm'];
// Renderer names of WebGL implementations that run on the CPU.
const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render driver/i;

/** The WebGL renderer's name ('' when WebGL or the debug extension is unavailable). */
export function webglRenderer() {
  try {
    const gl = document.createElement('canvas').getContext('webgl');
    if (!gl) return '';
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const name = gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '';
    gl.getExtension('WEBGL_lose_context')?.loseContext(); // free the context for TF.js
    return String(name);
  } catch {
    return '';
  }
}

/**
 * This browser's WebGPU adapter: null where there is none (no navigator.gpu, or no adapter), else
 * {software}; `software` for a fallback adapter, which runs on the CPU like software WebGL and is
 * not worth timing either.
 */
export function webgpuAdapter() {
  const gpu = globalThis.navigator?.gpu;
  if (!gpu) return Promise.resolve(null);
  // Asked once per page: asking takes a GPU driver tens of ms, and the `auto` trial needs the answer twice.
  if (!adapters.has(gpu)) adapters.set(gpu, describeAdapter(gpu));
  return adapters.get(gpu);
}

const adapters = new WeakMap(); // navigator.gpu -> the promise of its adapter's description

async function describeAdapter(gpu) {
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    return { software: Boolean(adapter.isFallbackAdapter ?? adapter.info?.isFallbackAdapter) };
  } catch {
    return null;
  }
}

function storage() {
  try { return globalThis.localStorage ?? null; } catch { return null; } // blocked storage throws
}

/**
 * The backend to start on for the `requested` setting ('auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu').
 * @returns {{backend: string, why: string}}  backend 'auto' means: time the GPU backends against WASM.
 */
export function chooseBackend(requested) {
  if (requested !== 'auto') return { backend: requested, why: 'set in the link' };
  const remembered = storage()?.getItem(STORAGE_KEY);
  if (REMEMBERED.includes(remembered)) return { backend: remembered, why: 'chosen on an earlier visit' };
  const renderer = webglRenderer();
  if (!renderer) return { backend: 'wasm', why: 'no WebGL here' };
  if (SOFTWARE.test(renderer)) return { backend: 'wasm', why: `WebGL is software here (${renderer})` };
  return { backend: 'auto', why: '' };
}

/** Remember the backend a trial chose, for this browser's next visits. */
export function rememberBackend(name) {
  if (REMEMBERED.includes(name)) storage()?.setItem(STORAGE_KEY, name);
}

/** Forget the remembered choice (the next visit times the backends again). */
export function forgetBackend() {
  storage()?.removeItem(STORAGE_KEY);
}
