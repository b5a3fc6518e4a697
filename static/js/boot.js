// Boot: read the manifest and the URL settings; start loading the models and open the camera at
// the same time (the models need not wait for the permission prompt); then run the
// analyse -> render loop. In `auto` mode analysis runs in this browser, and server mode is only
// proposed (when in-browser analysis cannot start or is too slow): no frame is sent, and no
// connection to the server is opened, before the person agrees or chooses server mode.
import { readSettings, shareLink } from './settings.js';
import { createUI } from './ui.js';
import { openCamera, closeCamera, listCameras, dropCameraRequest } from './camera.js';
import { createSmoother } from './smoothing.js';
import { createRecorder } from './recorder.js';
import { createTimeline } from './timeline.js';
import { loadTfjs } from './tfjs.js';
import { chooseBackend, rememberBackend, forgetBackend } from './backends.js';

const PROPOSE_AFTER_MS = 5000; // how long the in-browser rate may stay below minFps in auto mode
// Backends are timed on a small frame: the trial only has to rank them, and on software WebGL
// each full-size warm-up frame cost seconds.
const TRIAL_FRAME = { width: 320, height: 240 };
const WARMUP_FRAME = { width: 640, height: 480 }; // a webcam frame's usual size

/**
 * The classifier's manifest and TF.js URL: the server's model, or the one `?model=` names. The server
 * writes the model it knows the page will run into the page (data-model-name, its manifest and URL),
 * and the lighter and the crowd model it offers (data-other-models); another is asked for here.
 */
async function loadModel(name) {
  if (name && name !== document.body.dataset.modelName) {
    const offered = JSON.parse(document.body.dataset.otherModels || '{}')[name];
    if (offered) return { manifest: offered.manifest, modelUrl: offered.url };
    const res = await fetch(`/models/${name}/manifest.json`);
    if (res.status === 404) throw new Error(`this server has no model called "${name}"`);
    if (!res.ok) throw new Error(`/models/${name}/manifest.json answered ${res.status}`);
    const manifest = await res.json();
    // The manifest names the TF.js files for the page (float16 weights where the export has them).
    return { manifest, modelUrl: `/models/${name}/${manifest.formats[manifest.browser_format ?? 'tfjs'].path}` };
  }
  const modelUrl = document.body.dataset.modelUrl;
  const inline = document.body.dataset.manifest;
  if (inline) return { manifest: JSON.parse(inline), modelUrl };
  const res = await fetch('/api/model');
  if (!res.ok) throw new Error(`Could not read the model manifest: /api/model answered ${res.status}`);
  return { manifest: await res.json(), modelUrl };
}

// The page's start, step by step, as User Timing marks (DevTools' Performance panel shows them;
// bench.peers reports them): TF.js loaded, both models loaded, their warm-up run, camera open, first result
// (camera.js marks when the page first asked for a camera).
const mark = (step, at = performance.now()) => performance.mark(`fer:${step}`, { startTime: at });

const nextPaint = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const settings = readSettings(location.search);
  const detectorModel = JSON.parse(document.body.dataset.detector || 'null'); // the server's BlazeFace, for in-browser mode
  let manifest, modelUrl;
  try {
    ({ manifest, modelUrl } = await loadModel(settings.model));
  } catch (err) {
    dropCameraRequest(); // the page's <head> asked for the camera; the page cannot use it now
    createUI(document, []).showMessage('error', `The model description could not be loaded: ${err.message}`);
    return;
  }
  const ui = createUI(document, manifest.labels);
  const newSmoother = () => createSmoother({ labels: manifest.labels, halfLifeMs: settings.smooth });
  let smoother = newSmoother();
  const recorder = createRecorder({ labels: manifest.labels });
  const timeline = createTimeline({ labels: manifest.labels });
  const app = {
    settings, modelUrl, engine: null, source: null, mirrored: false, fromFile: false, token: 0, stats: [],
    history: [], lastResult: null, fellBack: false, proposed: false, switchingModel: false, paused: false, stream: null,
    recorder, timeline,
    firstResultAt: null, warmupMs: null, // warmupMs: the models' first run, when it came before the first frame
  };
  window.ferApp = app; // read-only handle for tests and the benchmark

  ui.showSettings(settings);
  ui.showAbout(manifest);
  ui.setShareLink(shareLink(settings, location));
  ui.setRecording(false, 0);
  ui.onShare(() => ui.copyShareLink());
  ui.onSettingChange((key, value) => {
    settings[key] = value;
    history.replaceState(null, '', shareLink(settings, location));
    ui.setShareLink(shareLink(settings, location));
    if (key === 'mode') startMode(value); // choosing server mode here is the person's own choice
    else if (key === 'confidence' && app.engine?.kind === 'browser') startMode(settings.mode); // the detector's setting
    else if (key === 'smooth') smoother = newSmoother();
    else if (key === 'unsure') ui.setUnsureBelow(value);
  });
  ui.onUpload((file) => useFile(file));
  ui.onWholeFaceChange(() => { if (app.engine && app.fromFile) loop(++app.token); }); // a still is analysed again
  ui.onCameraToggle(() => (app.stream ? stopCamera() : startCamera()));
  ui.onCameraPick((deviceId) => startCamera(deviceId));
  ui.onPause(() => {
    app.paused = !app.paused;
    if (ui.video.srcObject || ui.video.src) (app.paused ? ui.video.pause() : ui.video.play().catch(() => {}));
    ui.setCameraState({ on: Boolean(app.stream), paused: app.paused });
  });
  ui.onSnapshot(async () => ui.download(await ui.snapshot(), 'realtime-fer-snapshot.png'));
  ui.onRecord(() => {
    if (recorder.recording()) recorder.stop(); else recorder.start(performance.now());
    ui.setRecording(recorder.recording(), recorder.rows().length);
  });
  ui.onExport((format) => {
    const [text, type] = format === 'json' ? [recorder.toJSON(), 'application/json'] : [recorder.toCSV(), 'text/csv'];
    ui.download(new Blob([text], { type }), `realtime-fer-recording.${format}`);
  });

  async function startBrowser() {
    // Before TF.js has arrived: the WebGL probe (it opens a context of its own) then fills the wait
    // for TF.js's download instead of following it.
    const choice = chooseBackend(settings.backend);
    await loadTfjs();
    mark('tfjs-loaded');
    // Imported only now: these modules read globalThis.tf when they load.
    const { startBrowserEngine } = await import('./inbrowser.js');
    // The detector is the server's own; its threshold too unless the settings name one.
    const detector = { model: detectorModel, minConfidence: settings.confidence === '' ? undefined : settings.confidence };
    const config = { modelUrl, manifest, detector, redetect: { maxAgeMs: settings.redetect }, crowd: crowdModel() };
    const trial = Object.assign(document.createElement('canvas'), TRIAL_FRAME);
    let started;
    try {
      started = await startBrowserEngine(config, choice.backend, trial);
    } catch (err) {
      if (choice.backend === settings.backend || /could not be loaded/.test(err.message)) throw err;
      // A backend chosen for this browser (remembered, or WASM for software WebGL) failed: time them all.
      forgetBackend();
      started = await startBrowserEngine(config, 'auto', trial);
      choice.why = `${choice.backend} failed to start`;
      choice.backend = 'auto';
    }
    if (choice.backend === 'auto') rememberBackend(started.engine.backend);
    return { ...started, why: choice.why };
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
    ui.hideConsent();
    ui.showMessage('info', '');
    let engine;
    let started = {};
    try {
      if (mode === 'server') {
        ui.setProgress('model', 'skipped');
        engine = await startServer();
      } else {
        ui.setWhere('browser');
        ui.setProgress('model', 'busy');
        started = await startBrowser();
        ({ engine } = started);
        mark('models-loaded');
        // Still waiting for the camera (its permission prompt)? The models' first run costs several
        // frames' time (the WASM backend packs the weights): it is spent now, not on the first frame,
        // one model after the other until the camera opens (then the first frame runs at once, and
        // the camera is not kept waiting: the page handles its start between the two models).
        if (!app.source) {
          app.warmupMs = await engine.warmup(Object.assign(document.createElement('canvas'), WARMUP_FRAME), () => app.source !== null);
          if (app.warmupMs !== null) mark('warmed-up');
        }
        ui.setProgress('model', 'done');
      }
    } catch (err) {
      if (token !== app.token) return;
      if (mode === 'server') {
        ui.setIdle('stopped');
        ui.showMessage('error', `Server mode could not start: ${err.message}`);
        return;
      }
      ui.setProgress('model', 'failed');
      ui.setIdle('stopped');
      if (mode === 'auto') {
        proposeServer(`In-browser analysis could not start (${err.message})`, token);
        return;
      }
      ui.showMessage('error', err.message);
      return;
    }
    if (token !== app.token) { engine.dispose(); return; }
    app.engine = engine;
    ui.setMode(engine.kind, reason);
    ui.setBackend(engine.backend, started.measured, engine.threads, started.why);
    if (mode === 'auto' && engine.backend === 'cpu' && settings.backend === 'auto') {
      proposeServer('Only the slow CPU backend works in this browser', token);
    }
    loop(token);
  }

  /** Propose server mode (auto mode only); switch only once the person agrees. */
  async function proposeServer(why, token) {
    app.proposed = true;
    const yes = await ui.askServer(why);
    if (token !== app.token) return; // the person changed the mode meanwhile
    if (yes) {
      app.fellBack = true;
      startMode('server', 'Server mode, as you agreed: frames are sent to this server to be analysed.');
    } else if (!app.engine) {
      ui.showMessage('info', 'Nothing is analysed and nothing is sent. Server mode stays available under Settings.');
    }
  }

  /** The lighter model the server offers (data-light-model), when the page runs the server's own. */
  function lightModel() {
    return settings.model ? '' : document.body.dataset.lightModel || '';
  }

  /** The smaller model the server offers for many faces in view (data-crowd-model, from data-crowd-faces faces), when the page runs the server's own. */
  function crowdModel() {
    const name = settings.model ? '' : document.body.dataset.crowdModel || '';
    const fromFaces = Number(document.body.dataset.crowdFaces);
    return name && fromFaces > 0 ? { name, fromFaces, load: () => loadModel(name) } : null;
  }

  /** Run in-browser analysis again with the lighter model; the link then names it. */
  async function useLightModel(why) {
    const name = lightModel();
    const token = app.token;
    app.switchingModel = true; // analysis goes on meanwhile, and must not ask again
    try {
      let loaded;
      try {
        loaded = await loadModel(name);
      } catch (err) {
        document.body.dataset.lightModel = ''; // not to be tried again
        if (token === app.token) proposeServer(why, token);
        return;
      }
      if (token !== app.token) return; // the person changed the mode or the source meanwhile
      ({ manifest, modelUrl } = loaded);
      settings.model = name;
      app.modelUrl = modelUrl;
      history.replaceState(null, '', shareLink(settings, location));
      ui.setShareLink(shareLink(settings, location));
      ui.showAbout(manifest);
      await startMode(settings.mode);
      ui.showMessage('info', `${why}: it now runs the lighter model “${name}”, still in this browser.`);
    } finally {
      app.switchingModel = false;
    }
  }

  /** What the page says when a result has no face. */
  function noFaceHint(still) {
    if (app.fromFile && !ui.wholeFace()) {
      return 'No face found. If the file is one face, already cropped, tick “The file is one face, already cropped”.';
    }
    if (app.fromFile) return still ? 'No face found in this image.' : 'No face found in this frame of the video.';
    return 'No face in view: face the camera, with light on your face.';
  }

  async function loop(token) {
    const started = performance.now();
    let idleMs = 0; // the last wait for the screen: in-browser mode's frame budget may fill it
    smoother.reset(); // a new source or mode: no history carries over
    timeline.reset();
    app.engine?.reset?.(); // nor boxes (server mode detects every frame itself)
    while (token === app.token) {
      const source = app.source;
      const still = source?.tagName === 'CANVAS';
      const ready = source && (still || source.readyState >= 2);
      if (!ready || app.paused) { await sleep(100); continue; }
      if (app.firstResultAt === null) ui.setProgress('first', 'busy');
      let result;
      try {
        result = await app.engine.analyse(source, { wholeFace: app.fromFile && ui.wholeFace(), idleMs });
      } catch (err) {
        if (token !== app.token) return;
        ui.showMessage('warning', err.message);
        await sleep(500);
        continue;
      }
      if (token !== app.token) return;
      if (app.source !== source) continue; // the source changed while this frame was analysed
      const now = performance.now();
      // Live video is smoothed over time (and its faces followed, so each keeps its number);
      // a still image is shown as it was analysed.
      const faces = still ? result.faces.map((f, i) => ({ ...f, number: i + 1 })) : smoother.update(result.faces, now);
      app.lastResult = { ...result, faces };
      if (!still) timeline.add(faces, now);
      ui.render(app.lastResult, { mirrored: app.mirrored, noFaceHint: noFaceHint(still), timeline: still ? null : timeline });
      recorder.add(faces, now);
      if (recorder.recording()) ui.setRecording(true, recorder.rows().length);
      if (app.firstResultAt === null) {
        app.firstResultAt = now;
        mark('first-result', now);
        ui.setProgress('first', 'done');
      }
      app.stats.push({ t: now, ...result.timings });
      app.history.push({ t: now, faces: result.faces.length, detected: result.detected, views: result.views,
        model: result.model ?? null, rechecked: result.rechecked ?? 0, ...result.timings });
      if (app.history.length > 1000) app.history.shift();
      while (app.stats.length && now - app.stats[0].t > 2000) app.stats.shift();
      const span = (now - app.stats[0].t) / 1000;
      const fps = span > 0 ? (app.stats.length - 1) / span : 0;
      const sent = result.sent ? `sent ${result.sent.width}×${result.sent.height} JPEG q${result.sent.quality.toFixed(2)}` : '';
      const parts = ['detect', 'classify'].filter((k) => result.timings[k] !== undefined)
        .map((k) => (k === 'detect' && result.detected === false
          ? (faces.length ? 'boxes kept' : 'picture unchanged') : `${k} ${result.timings[k].toFixed(1)} ms`));
      if (result.model) { // the crowd model, and the faces it was unsure of that the page's own model read again
        parts.push(`${result.model} for ${result.faces.length} faces${result.rechecked ? `, ${result.rechecked} rechecked` : ''}`);
      } else if (result.views === false) parts.push('single view'); // the classifier's views did not fit the frame
      ui.setStats({ fps, latency: result.timings.total, detail: [...parts, sent].filter(Boolean).join(' · ') });
      if (still) return; // a still image is analysed once
      if (settings.mode === 'auto' && app.engine.kind === 'browser' && !app.proposed && !app.switchingModel
          && now - started > PROPOSE_AFTER_MS && app.stats.length > 2 && fps < settings.minFps) {
        const why = `In-browser analysis runs at ${fps.toFixed(1)} fps here, below ${settings.minFps}`;
        // First the lighter model, which keeps every frame here; then, if still too slow, the
        // server, while analysis goes on in this browser until the person answers.
        if (lightModel()) useLightModel(why);
        else proposeServer(why, token);
      }
      const waitFrom = performance.now();
      await nextPaint();
      idleMs = performance.now() - waitFrom;
    }
  }

  function useFile(file) {
    if (!/^(image|video)\//.test(file.type)) {
      ui.clear(); // the last result is not this file's
      ui.showMessage('error', `${file.name} is not an image or a video file: choose a photo (JPEG, PNG…) or a video (MP4, WebM…).`);
      return;
    }
    stopCamera({ quiet: true }); // a chosen file replaces the camera, which goes off
    ui.clear();
    const url = URL.createObjectURL(file);
    const where = app.engine?.kind === 'server' || settings.mode === 'server' ? 'on the server (it is sent there, not stored)' : 'in this browser';
    ui.showMessage('info', `Analysing ${file.name} ${where}.`);
    const unreadable = () => {
      if (app.source === ui.video || app.source === null) app.source = null;
      ui.clear();
      ui.showMessage('error', `${file.name} is not a file this browser can read.`);
    };
    if (file.type.startsWith('image/')) {
      ui.showStill(url);
      app.source = null;
      ui.image.decode().then(() => {
        // A canvas at the image's own size: TF.js reads an <img> at its displayed size.
        const canvas = Object.assign(document.createElement('canvas'),
          { width: ui.image.naturalWidth, height: ui.image.naturalHeight });
        canvas.getContext('2d').drawImage(ui.image, 0, 0);
        app.source = canvas;
      }, unreadable);
    } else {
      ui.video.srcObject = null;
      ui.video.src = url;
      ui.video.loop = true;
      ui.video.muted = true;
      ui.video.play().catch(unreadable);
      ui.showVideo(false);
      app.source = ui.video;
    }
    app.mirrored = false;
    app.fromFile = true;
    app.paused = false;
    ui.setCameraState({ on: false, paused: false });
    if (app.engine) loop(++app.token);
  }

  async function startCamera(deviceId = '') {
    closeCamera(ui.video, app.stream);
    app.stream = null;
    ui.setProgress('camera', 'busy');
    try {
      app.stream = await openCamera(ui.video, { deviceId });
    } catch (err) {
      ui.showMessage('error', err.message);
      document.body.dataset.camera = 'unavailable';
      ui.setProgress('camera', 'failed');
      if (!app.engine) ui.setIdle('waiting for a file');
      ui.offerUpload(true);
      ui.setCameraState({ on: false, paused: app.paused });
      return;
    }
    mark('camera-open');
    ui.showVideo(true);
    app.source = ui.video;
    app.mirrored = true;
    app.fromFile = false;
    app.paused = false;
    document.body.dataset.camera = 'on';
    ui.setProgress('camera', 'done');
    ui.setCameraState({ on: true, paused: false });
    ui.offerUpload(true);
    const current = app.stream.getVideoTracks()[0]?.getSettings().deviceId;
    listCameras().then((cameras) => ui.setCameras(cameras, current), () => {});
    if (app.engine) loop(++app.token);
  }

  function stopCamera({ quiet = false } = {}) {
    if (!app.stream) return;
    closeCamera(ui.video, app.stream);
    app.stream = null;
    if (app.source === ui.video) app.source = null;
    document.body.dataset.camera = 'off';
    ui.setCameraState({ on: false, paused: app.paused });
    if (!quiet) {
      ui.clear();
      ui.showMessage('info', 'Camera stopped. Start it again, or analyse a file.');
    }
  }

  // The models load while the camera starts: neither waits for the other. The page's <head> has
  // already asked for the camera (templates/ask_camera.js) and start.js for TF.js; the page's
  // modules and the models' files are in the <head> too (server/pages.py's head_preloads).
  const modeStarted = startMode(settings.mode);
  await startCamera();
  await modeStarted;
}

main();
