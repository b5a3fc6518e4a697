// TensorFlow.js and its WASM backend, loaded only when in-browser analysis starts: server mode
// never downloads them (about 2 MB before compression). Both are UMD builds that set globalThis.tf;
// the modules that use tf (inbrowser.js, detector.js, classifier.js) read it when first imported,
// so they are imported only after loadTfjs() has resolved.
const SCRIPTS = [
  ['@tensorflow/tfjs', 'dist/tf.es2017.min.js'],
  // The WASM backend registers itself on the tf above, so it loads second.
  ['@tensorflow/tfjs-backend-wasm', 'dist/tf-backend-wasm.es2017.min.js'],
];

/** The script's URL, with the installed version the page was served with (?v=): the server lets
 * browsers cache such a URL for a year, since a new version comes with a new URL. */
function scriptUrl([pkg, file]) {
  let versions = {};
  try { versions = JSON.parse(document.body.dataset.vendorVersions || '{}'); } catch { /* unversioned */ }
  return `/vendor/${pkg}/${file}${versions[pkg] ? `?v=${encodeURIComponent(versions[pkg])}` : ''}`;
}

let loading = null;

/** A <link rel=preload>: the browser fetches `href` now and hands it to the later request for it. */
export function preload(href, as) {
  const link = Object.assign(document.createElement('link'), { rel: 'preload', href, as });
  if (as === 'fetch') link.crossOrigin = 'anonymous'; // what fetch() asks for, else the preload is not used
  document.head.append(link);
}

/**
 * Start downloading TF.js, its WASM backend and the backend's WebAssembly binary without running
 * anything: loadTfjs() runs the scripts in order later, and finds them downloaded. The binary is
 * the one the backend picks in a cross-origin isolated page (threads and SIMD), as this page is.
 */
export function preloadTfjs() {
  SCRIPTS.forEach((script) => preload(scriptUrl(script), 'script'));
  const wasm = globalThis.crossOriginIsolated ? 'tfjs-backend-wasm-threaded-simd.wasm' : 'tfjs-backend-wasm-simd.wasm';
  preload(`/vendor/@tensorflow/tfjs-backend-wasm/dist/${wasm}`, 'fetch');
}

function addScript(src) {
  return new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement('script'), { src, async: false });
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`TensorFlow.js could not be loaded from ${src}`));
    document.head.append(script);
  });
}

/** Load TF.js once (later calls share the first load); resolves to globalThis.tf. */
export function loadTfjs() {
  if (globalThis.tf?.wasm) return Promise.resolve(globalThis.tf);
  loading ??= (async () => {
    for (const script of SCRIPTS) await addScript(scriptUrl(script));
    if (!globalThis.tf) throw new Error('TensorFlow.js did not load');
    return globalThis.tf;
  })();
  loading.catch(() => { loading = null; }); // a failed load may be tried again
  return loading;
}
