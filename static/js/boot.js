// Boot: read the manifest and the URL settings, open the camera (or offer a file),
// choose the mode (in-browser first, server as the fallback) and the TF.js
// backend, then run the analyse -> render loop.
import { readSettings, shareLink } from './settings.js';
import { createUI } from './ui.js';
import { openCamera } from './camera.js';
import { createSmoother } from './smoothing.js';

const FALLBACK_AFTER_MS = 5000; // how long the in-browser rate may stay below minFps in auto mode

/** The classifier's manifest and TF.js URL: the page's own model, or the one `?model=` names. */
async function loadModel(name) {
  if (name) {
    const res = await fetch(`/models/${name}/manifest.json`);
    if (res.status === 404) throw new Error(`this server has no model called "${name}"`);
    if (!res.ok) throw new Error(`/models/${name}/manifest.json answered ${res.status}`);
    const manifest = await res.json();
    // The manifest names the TF.js files for the page (float16 weights where the export has them).
    return { manifest, modelUrl: `/models/${name}/${manifest.formats[manifest.browser_format ?? 'tfjs'].path}` };
  }
  const modelUrl = document.body.dataset.modelUrl || '/models/default/tfjs/model.json';
  const inline = document.body.dataset.manifest;
  if (inline) return { manifest: JSON.parse(inline), modelUrl };
  const res = await fetch('/api/model');
  if (!res.ok) throw new Error(`Could not read the model manifest: /api/model answered ${res.status}`);
  return { manifest: await res.json(), modelUrl };
}

const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const settings = readSettings(location.search);
  let manifest, modelUrl;
  try {
    ({ manifest, modelUrl } = await loadModel(settings.model));
  } catch (err) {
    createUI(document, []).showMessage('error', `The model description could not be loaded: ${err.message}`);
    return;
  }
  const ui = createUI(document, manifest.labels);
  const smoother = createSmoother({ labels: manifest.labels, halfLifeMs: settings.smooth });
  const app = { settings, modelUrl, engine: null, source: null, mirrored: false, fromFile: false, token: 0, stats: [], history: [], lastResult: null, fellBack: false };
  window.ferApp = app; // read-only handle for tests and the benchmark

  ui.selectMode(settings.mode);
  ui.setShareLink(shareLink(settings, location));
  ui.onShare(() => ui.copyShareLink());
  ui.onModeChange((mode) => {
    settings.mode = mode;
    history.replaceState(null, '', shareLink(settings, location));
    ui.setShareLink(shareLink(settings, location));
    startMode(mode);
  });
  ui.onUpload((file) => useFile(file));
  ui.onWholeFaceChange(() => { if (app.engine && app.fromFile) loop(++app.token); }); // a still is analysed again

  async function startBrowser() {
    const { startBrowserEngine } = await import('./inbrowser.js');
    if (!globalThis.tf) throw new Error('TensorFlow.js did not load');
    const detector = { minConfidence: settings.confidence };
    return startBrowserEngine({ modelUrl, manifest, detector, redetect: { maxAgeMs: settings.redetect } }, settings.backend);
  }

  async function startServer() {
    const { createServerEngine } = await import('./socket.js');
    return createServerEngine({
      onConnection(state) {
        if (state !== 'connected') {
          app.connectionLost = true;
          // The boxes on screen are the last answer: with no server, they would stay as if live.
          ui.clear();
          smoother.reset();
          ui.showMessage('warning', 'Connection to the server lost: reconnecting…');
        } else if (app.connectionLost) {
          app.connectionLost = false;
          ui.showMessage('info', 'Reconnected to the server.');
        }
      },
    });
  }

  async function startMode(mode, reason = '') {
    const token = ++app.token; // a newer startMode (a quick second switch) wins
    app.engine?.dispose();
    app.engine = null;
    ui.clear();
    let engine;
    let measured = null;
    if (mode !== 'server') {
      try {
        ui.showMessage('info', 'Loading the face detector and the expression model…');
        ({ engine, measured } = await startBrowser());
        ui.showMessage('info', '');
      } catch (err) {
        if (token !== app.token) return;
        if (mode === 'auto') return fallBack(`In-browser analysis could not start: ${err.message}`);
        ui.showMessage('error', err.message);
        return;
      }
    } else {
      engine = await startServer();
    }
    if (token !== app.token) { engine.dispose(); return; }
    if (mode === 'auto' && engine.backend === 'cpu' && settings.backend === 'auto') {
      engine.dispose();
      return fallBack('No WebGL or WASM backend works in this browser');
    }
    app.engine = engine;
    ui.setMode(engine.kind, reason);
    ui.setBackend(engine.backend, measured, engine.threads);
    loop(token);
  }

  function fallBack(why) {
    app.fellBack = true;
    return startMode('server', `${why}; switched to server mode.`);
  }

  async function loop(token) {
    const started = performance.now();
    smoother.reset(); // a new source or mode: no history carries over
    app.engine?.reset?.(); // nor boxes (server mode detects every frame itself)
    while (token === app.token) {
      const source = app.source;
      const still = source?.tagName === 'CANVAS';
      const ready = source && (still || source.readyState >= 2);
      if (!ready) { await sleep(100); continue; }
      let result;
      try {
        result = await app.engine.analyse(source, { wholeFace: app.fromFile && ui.wholeFace() });
      } catch (err) {
        if (token !== app.token) return;
        ui.showMessage('warning', err.message);
        await sleep(500);
        continue;
      }
      if (token !== app.token) return;
      const now = performance.now();
      // Live video is smoothed over time; a still image is shown as it was analysed.
      app.lastResult = still ? result : { ...result, faces: smoother.update(result.faces, now) };
      ui.render(app.lastResult, { mirrored: app.mirrored });
      app.stats.push({ t: now, ...result.timings });
      app.history.push({ t: now, faces: result.faces.length, detected: result.detected, ...result.timings });
      if (app.history.length > 1000) app.history.shift();
      while (app.stats.length && now - app.stats[0].t > 2000) app.stats.shift();
      const span = (now - app.stats[0].t) / 1000;
      const fps = span > 0 ? (app.stats.length - 1) / span : 0;
      const sent = result.sent ? `sent ${result.sent.width}×${result.sent.height} JPEG q${result.sent.quality.toFixed(2)}` : '';
      const parts = ['detect', 'classify'].filter((k) => result.timings[k] !== undefined)
        .map((k) => (k === 'detect' && result.detected === false ? 'boxes kept' : `${k} ${result.timings[k].toFixed(1)} ms`));
      ui.setStats({ fps, latency: result.timings.total, detail: [...parts, sent].filter(Boolean).join(' · ') });
      if (still) return; // a still image is analysed once
      if (settings.mode === 'auto' && app.engine.kind === 'browser' && !app.fellBack
          && now - started > FALLBACK_AFTER_MS && app.stats.length > 2 && fps < settings.minFps) {
        fallBack(`In-browser analysis runs at ${fps.toFixed(1)} fps, below ${settings.minFps}`);
        return;
      }
      await nextPaint();
    }
  }

  function useFile(file) {
    const url = URL.createObjectURL(file);
    ui.showMessage('info', `Analysing ${file.name} in this browser.`);
    if (file.type.startsWith('image/')) {
      ui.showStill(url);
      app.source = null;
      ui.image.decode().then(() => {
        // A canvas at the image's own size: TF.js reads an <img> at its displayed size.
        const canvas = Object.assign(document.createElement('canvas'),
          { width: ui.image.naturalWidth, height: ui.image.naturalHeight });
        canvas.getContext('2d').drawImage(ui.image, 0, 0);
        app.source = canvas;
      }, () => ui.showMessage('error', `${file.name} is not an image this browser can read.`));
    } else {
      ui.video.srcObject = null;
      ui.video.src = url;
      ui.video.loop = true;
      ui.video.muted = true;
      ui.video.play();
      ui.showVideo(false);
      app.source = ui.video;
    }
    app.mirrored = false;
    app.fromFile = true;
    if (app.engine) loop(++app.token); else startMode(settings.mode);
  }

  try {
    await openCamera(ui.video);
    ui.showVideo(true);
    app.source = ui.video;
    app.mirrored = true;
  } catch (err) {
    ui.showMessage('error', err.message);
    document.body.dataset.camera = 'unavailable';
    ui.offerUpload(true);
    return; // the engine starts when a file is chosen
  }
  document.body.dataset.camera = 'on';
  await startMode(settings.mode);
}

main();
