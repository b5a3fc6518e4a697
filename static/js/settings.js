// Settings that live in the URL, so a shared link opens the same mode and settings.

const CHOICES = {
  mode: ['auto', 'browser', 'server'],
  backend: ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'],
};
// smooth: the labels' half-life in ms on live video (static/js/smoothing.js; 0 is off). 200 ms cut
// label flips on a still face by three quarters, for 100-200 ms of lag (python -m bench.smoothing).
// redetect: in-browser mode keeps the last face boxes while the picture holds still, for at most
// this many ms (static/js/redetect.js; 0 detects on every frame).
// confidence: the face detector's score threshold in-browser; '' is the detector's own, the server's.
// unsure: below this top probability a face is shown as "unsure: A or B" (its two likeliest labels),
// not as a plain label (static/js/verdict.js; 0 never says unsure). docs/page.md gives how often the
// model is right above and below it on FER2013's PublicTest faces.
const DEFAULTS = {
  mode: 'auto', backend: 'auto', minFps: 5, confidence: '', smooth: 200, redetect: 500, unsure: 0.4, model: '',
};
// A folder name under /models/ (the server's own check is the same pattern).
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** URL query string -> settings, unknown or invalid values replaced by defaults. */
export function readSettings(search) {
  const q = new URLSearchParams(search);
  const s = { ...DEFAULTS };
  for (const [key, allowed] of Object.entries(CHOICES)) {
    if (allowed.includes(q.get(key))) s[key] = q.get(key);
  }
  const num = (key, lo, hi) => {
    const v = Number.parseFloat(q.get(key));
    if (Number.isFinite(v) && v >= lo && v <= hi) s[key] = v;
  };
  // In-browser mode's classifier: '' is the server's default; another exported model (e.g.
  // mini_xception, four times faster) suits weak devices.
  if (MODEL_NAME.test(q.get('model') || '')) s.model = q.get('model');
  num('minFps', 0, 120);
  num('confidence', 0.05, 0.99);
  num('smooth', 0, 5000);
  num('redetect', 0, 5000);
  num('unsure', 0, 1);
  return s;
}

/** Settings -> a link to this page that reopens them. */
export function shareLink(settings, location) {
  const q = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) {
    if (settings[key] !== '') q.set(key, String(settings[key]));
  }
  return `${location.origin}${location.pathname}?${q}`;
}
