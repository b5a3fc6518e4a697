// The one module that touches the page's elements: status line, progress, messages, the consent
// prompt, the overlay (static/js/overlay.js draws it), the face list with its bars, and the controls.
// The preview is mirrored like a selfie camera; boxes are mirrored to match.
import { createOverlay, colorsFor } from './overlay.js';
import { verdict } from './verdict.js';
import { createAnnouncer } from './announcer.js';
import { drawChart, LABEL_COLORS } from './chart.js';

// Where frames go, said the same way everywhere on the page.
const WHERE = {
  browser: 'In-browser mode: frames are analysed on this device. No frame leaves it.',
  server: 'Server mode: frames are sent to this server to be analysed, and are not stored.',
};
const PROGRESS_TEXT = {
  model: { waiting: 'Expression model and face detector', busy: 'Loading the expression model and face detector…',
    done: 'Models ready', failed: 'Models could not load', skipped: 'No model in this browser (server mode)' },
  camera: { waiting: 'Camera', busy: 'Starting the camera…', done: 'Camera on', failed: 'No camera: choose a file' },
  first: { waiting: 'First result', busy: 'Analysing the first frame…', done: 'First result shown' },
};

/**
 * Bind to the page's elements (ids in templates/index.html).
 * @param {Document} doc
 * @param {string[]} labels  the model's labels; orders the bars.
 */
export function createUI(doc, labels) {
  const $ = (id) => doc.getElementById(id);
  const el = {
    stage: $('stage'), video: $('video'), image: $('still'), overlay: $('overlay'), progress: $('progress'),
    list: $('faces'), noFace: $('no-face'), announcer: $('announcer'), mode: $('mode-name'), backend: $('backend-name'),
    fps: $('fps'), latency: $('latency'), privacy: $('privacy'), message: $('message'), modeSelect: $('mode-select'),
    share: $('share'), shareLink: $('share-link'), upload: $('upload'), uploadBox: $('upload-box'),
    uploadWhere: $('upload-where'), wholeFace: $('whole-face'), detail: $('detail'), consent: $('consent'),
    consentText: $('consent-text'), allowServer: $('allow-server'), declineServer: $('decline-server'),
    cameraToggle: $('camera-toggle'), pause: $('pause'), cameraSelect: $('camera-select'), snapshot: $('snapshot'),
    record: $('record'), exportButton: $('export'), exportFormat: $('export-format'), recordStatus: $('record-status'),
    confidence: $('confidence-input'), smooth: $('smooth-input'), unsure: $('unsure-input'), aboutBody: $('about-body'),
  };
  const overlay = createOverlay(el.overlay);
  const announcer = createAnnouncer();
  let unsureBelow = 0;
  let shown = { faces: [], width: 1, height: 1, mirrored: false }; // the last render, for redraws and snapshots

  function setMode(kind, reason = '') {
    el.stage.dataset.mode = kind;
    doc.body.dataset.mode = kind;
    el.mode.textContent = kind === 'server' ? 'server' : 'in-browser';
    setWhere(kind);
    if (reason) showMessage('info', reason);
  }

  /** Say where frames (and a chosen file) go: 'browser', 'server', or '' before anything runs. */
  function setWhere(kind) {
    if (WHERE[kind]) el.privacy.textContent = WHERE[kind];
    el.uploadWhere.textContent = kind === 'server' ? '(it is sent to this server, and not stored)' : '(it stays in this browser)';
  }

  /** The status line's mode while nothing analyses: e.g. 'waiting for a file', 'stopped'. */
  function setIdle(text) { el.mode.textContent = text; }

  function setBackend(name, measured, threads = null, why = '') {
    el.backend.textContent = name;
    doc.body.dataset.backend = name;
    doc.body.dataset.threads = threads ?? '';
    const shown = (ms) => (ms === null ? 'unavailable' : typeof ms === 'number' ? `${ms.toFixed(1)} ms` : ms);
    const parts = Object.entries(measured ?? {}).map(([b, ms]) => `${b}: ${shown(ms)}`);
    const notes = [threads ? `${threads} thread${threads > 1 ? 's' : ''}` : '', why,
      parts.length ? `warm-up per frame — ${parts.join(', ')}` : ''];
    el.backend.title = notes.filter(Boolean).join('; ');
  }

  function setStats({ fps, latency, detail }) {
    el.fps.textContent = fps.toFixed(1);
    el.latency.textContent = `${latency.toFixed(0)} ms`;
    el.detail.textContent = detail ?? '';
  }

  /** One step of getting ready: step 'model' | 'camera' | 'first'; state 'busy' | 'done' | 'failed' | 'skipped'. */
  function setProgress(step, state) {
    const li = el.progress.querySelector(`[data-step="${step}"]`);
    li.dataset.state = state;
    li.textContent = PROGRESS_TEXT[step][state] ?? li.textContent;
    // Shown until the first result, or until nothing more will come without the person (no camera).
    const steps = [...el.progress.children].map((c) => c.dataset.state);
    el.progress.hidden = steps[2] === 'done' || (steps[1] === 'failed' && steps[0] !== 'busy');
  }

  function showMessage(kind, text) {
    el.message.hidden = !text;
    el.message.dataset.kind = kind;
    el.message.textContent = text;
  }

  /**
   * Propose server mode and wait for the person's answer; nothing is sent before a yes.
   * @returns {Promise<boolean>}  true once button#allow-server is clicked, false on the other button.
   */
  function askServer(why) {
    el.consentText.textContent = `${why}. Server mode would send the camera's frames to this server `
      + `(${location.host}) to be analysed there; they are not stored. Nothing is sent unless you agree.`;
    el.consent.hidden = false;
    return new Promise((resolve) => {
      const answer = (yes) => () => {
        el.consent.hidden = true;
        el.allowServer.onclick = null;
        el.declineServer.onclick = null;
        resolve(yes);
      };
      el.allowServer.onclick = answer(true);
      el.declineServer.onclick = answer(false);
    });
  }

  function hideConsent() { el.consent.hidden = true; }

  function offerUpload(show = true) { el.uploadBox.hidden = !show; }

  /** Show a still image (uploaded) instead of the video. */
  function showStill(url) {
    el.video.hidden = true;
    el.image.hidden = false;
    el.image.src = url;
    el.stage.classList.remove('mirrored');
  }

  /** Show a video (camera stream when `mirrored`, or an uploaded file). */
  function showVideo(mirrored) {
    el.video.hidden = false;
    el.image.hidden = true;
    el.stage.classList.toggle('mirrored', mirrored);
  }

  // The face list's items by face number, kept from frame to frame and changed in place. Built anew
  // every frame, four faces' items with their bars and charts (and the layout that sizing the new
  // charts forced) took 8 ms of a 78 ms frame.
  const items = new Map(); // number -> {li, text, fills, values, chart, chartSize}

  /** Set a text node's or an element's text only when it changed: an unchanged page costs nothing to lay out. */
  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  /** The list item of face `number`: its number in the box's colour, a verdict line, and seven bars. */
  function faceItem(number) {
    const li = doc.createElement('li');
    li.dataset.number = String(number);
    const { background, text } = colorsFor(number);
    const head = doc.createElement('p');
    head.className = 'face-head';
    const badge = Object.assign(doc.createElement('span'), { className: 'badge', textContent: String(number) });
    badge.style.background = background;
    badge.style.color = text;
    const verdictText = doc.createTextNode('');
    head.append(badge, verdictText);
    // Divs, not a nested list: `#faces li` is one face (tests and scripts read it so).
    const bars = doc.createElement('div');
    bars.className = 'bars';
    const fills = [];
    const values = [];
    for (const [k, label] of labels.entries()) {
      const item = doc.createElement('div');
      item.dataset.label = label;
      const name = Object.assign(doc.createElement('span'), { className: 'bar-name', textContent: label });
      // The label's colour in the chart below, as its legend.
      const dot = Object.assign(doc.createElement('span'), { className: 'dot' });
      dot.style.background = LABEL_COLORS[k % LABEL_COLORS.length];
      name.prepend(dot);
      const track = Object.assign(doc.createElement('span'), { className: 'bar-track' });
      const fill = Object.assign(doc.createElement('span'), { className: 'bar-fill' });
      fill.style.background = background;
      track.append(fill);
      const value = Object.assign(doc.createElement('span'), { className: 'bar-value' });
      item.append(name, track, value);
      bars.append(item);
      fills.push(fill);
      values.push(value);
    }
    li.append(head, bars);
    return { li, verdictText, fills, values, chart: null, chartSize: null };
  }

  /** Show face `f`'s verdict and probabilities in its item. */
  function updateItem(item, f, number) {
    const v = verdict(f, unsureBelow);
    Object.assign(item.li.dataset, {
      label: f.label, unsure: String(v.unsure), confidence: f.confidence.toFixed(3),
      box: f.box.map((x) => Math.round(x)).join(','),
    });
    setText(item.verdictText, ` Face ${number}: ${v.text}, ${v.percent} confident` + (v.unsure ? ` (most likely ${f.label})` : ''));
    labels.forEach((label, k) => {
      const p = f.probabilities?.[label] ?? 0;
      const width = `${(p * 100).toFixed(1)}%`;
      if (item.fills[k].style.width !== width) item.fills[k].style.width = width;
      setText(item.values[k], `${Math.round(p * 100)}%`);
    });
  }

  /**
   * The face's last minute as a chart under its bars (live video only: a still has no history).
   * A new chart is drawn from the next frame on, once the page has laid it out and render() has
   * read its size.
   */
  function updateChart(item, number, timeline, now) {
    const points = timeline.series(number);
    if (points.length < 2) return;
    if (!item.chart) {
      item.chart = Object.assign(doc.createElement('canvas'), { className: 'chart' });
      item.chart.setAttribute('role', 'img');
      item.li.append(item.chart);
    }
    const last = points.at(-1).probs;
    const top = labels[last.indexOf(Math.max(...last))];
    const label = `Face ${number}'s probabilities over the last ${Math.round(timeline.spanMs / 1000)} s; now highest: ${top}`;
    if (item.chart.getAttribute('aria-label') !== label) item.chart.setAttribute('aria-label', label);
    if (item.chartSize) drawChart(item.chart, points, { spanMs: timeline.spanMs, now, size: item.chartSize });
  }

  /**
   * Draw one result ({faces, width, height}) on the overlay and in the list.
   * @param {object} result
   * @param {{mirrored: boolean, noFaceHint?: string, timeline?: object}} view  noFaceHint: what to say when
   *   no face is found; timeline: static/js/timeline.js's history, charted per face.
   */
  function render(result, { mirrored, noFaceHint = '', timeline = null }) {
    const { faces, width, height } = result;
    // The charts' sizes first, while the last frame's layout holds: read after the changes below,
    // they would make the browser lay the page out once more.
    for (const item of items.values()) {
      if (item.chart) item.chartSize = { width: item.chart.clientWidth, height: item.chart.clientHeight };
    }
    if (el.stage.style.getPropertyValue('--aspect') !== String(width / height)) {
      el.stage.style.setProperty('--aspect', String(width / height));
    }
    shown = { faces, width, height, mirrored };
    overlay.draw(faces, { width, height, mirrored, unsureBelow });
    const numbers = faces.map((f, i) => f.number ?? i + 1);
    for (const number of items.keys()) if (!numbers.includes(number)) items.delete(number);
    const listed = numbers.map((number, i) => {
      if (!items.has(number)) items.set(number, faceItem(number));
      updateItem(items.get(number), faces[i], number);
      return items.get(number).li;
    });
    const children = el.list.children;
    if (listed.length !== children.length || listed.some((li, i) => children[i] !== li)) el.list.replaceChildren(...listed);
    if (timeline) numbers.forEach((number) => updateChart(items.get(number), number, timeline, performance.now()));
    el.list.dataset.count = String(faces.length);
    el.list.dataset.frames = String(Number(el.list.dataset.frames ?? 0) + 1);
    el.noFace.hidden = faces.length > 0;
    setText(el.noFace, faces.length ? '' : (noFaceHint || 'No face in view.'));
    const summary = faces.map((f, i) => `Face ${numbers[i]}: ${verdict(f, unsureBelow).text}`).join('. ');
    const said = announcer.update(summary, performance.now());
    if (said !== null) el.announcer.textContent = said;
  }

  function clear() {
    overlay.clear();
    shown = { ...shown, faces: [] };
    items.clear();
    el.list.replaceChildren();
    el.list.dataset.count = '0';
    el.noFace.hidden = true;
    announcer.reset();
  }

  /** A PNG of what is on screen: the picture (mirrored as shown) with the boxes over it. */
  function snapshot() {
    const source = el.video.hidden ? el.image : el.video;
    const canvas = Object.assign(doc.createElement('canvas'), { width: el.overlay.width, height: el.overlay.height });
    const ctx = canvas.getContext('2d');
    if (el.stage.classList.contains('mirrored')) { ctx.translate(canvas.width, 0); ctx.scale(-1, 1); }
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(el.overlay, 0, 0);
    return new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  }

  /** Offer `blob` as a download called `name`. */
  function download(blob, name) {
    const a = Object.assign(doc.createElement('a'), { href: URL.createObjectURL(blob), download: name });
    doc.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  function setShareLink(url) { el.shareLink.value = url; }

  /** Fill the settings panel from `settings` (mode, confidence, smooth, unsure). */
  function showSettings(settings) {
    el.modeSelect.value = settings.mode;
    el.confidence.value = String(settings.confidence);
    el.smooth.value = String(settings.smooth);
    el.unsure.value = String(settings.unsure);
    unsureBelow = settings.unsure;
  }

  /** cb(key, value) when a setting on the page changes; only values in the inputs' range pass. */
  function onSettingChange(cb) {
    el.modeSelect.addEventListener('change', () => cb('mode', el.modeSelect.value));
    for (const [key, input] of [['confidence', el.confidence], ['smooth', el.smooth], ['unsure', el.unsure]]) {
      input.addEventListener('change', () => {
        const v = Number.parseFloat(input.value);
        if (input.checkValidity() && Number.isFinite(v)) cb(key, v);
      });
    }
  }

  function setUnsureBelow(value) {
    unsureBelow = value;
    if (shown.faces.length) render({ faces: shown.faces, width: shown.width, height: shown.height }, shown);
  }

  /** The camera controls' state: camera on/off, paused, and the cameras to pick from. */
  function setCameraState({ on, paused }) {
    el.cameraToggle.textContent = on ? 'Stop camera' : 'Start camera';
    el.cameraToggle.setAttribute('aria-pressed', String(on));
    el.pause.textContent = paused ? 'Resume' : 'Pause';
    el.pause.setAttribute('aria-pressed', String(paused));
  }

  function setCameras(devices, currentId) {
    el.cameraSelect.replaceChildren(...devices.map((d, i) => Object.assign(doc.createElement('option'),
      { value: d.deviceId, textContent: d.label || `Camera ${i + 1}`, selected: d.deviceId === currentId })));
    el.cameraSelect.hidden = devices.length < 2;
  }

  function setRecording(recording, rows) {
    el.record.textContent = recording ? 'Stop recording' : 'Record';
    el.record.setAttribute('aria-pressed', String(recording));
    el.exportButton.disabled = recording || rows === 0;
    el.recordStatus.textContent = recording ? `recording: ${rows} rows` : (rows ? `${rows} rows recorded` : '');
  }

  /** The about panel, from the manifest: what the model says, how well it does, and its limits. */
  function showAbout(manifest) {
    const acc = manifest.metrics?.PrivateTest?.accuracy ?? manifest.metrics?.PublicTest?.accuracy;
    const split = manifest.metrics?.PrivateTest ? 'PrivateTest' : 'PublicTest';
    const [h, w] = manifest.input.shape;
    const parts = [
      ['p', `Each face found is cropped, turned gray and shrunk to ${w}×${h} pixels, and the model gives a probability `
        + `to each of ${labels.length} expressions: ${labels.join(', ')}. The percentages are those probabilities; `
        + 'they add up to 100% for each face. Below the "unsure" setting the page names the two likeliest.'],
      ['p', `Model: ${manifest.name ?? 'unnamed'}${manifest.architecture ? ` (${manifest.architecture})` : ''}. `
        + (acc !== undefined ? `On FER2013's ${split} faces it names the expression people gave in ${(acc * 100).toFixed(1)}% of cases.` : '')],
      ['p', 'Limits: it was trained on FER2013, small gray web photos of mostly posed, strong expressions; '
        + 'everyday, spontaneous expressions are subtler and it is far less sure of them. Poor or side lighting, '
        + 'turned heads and glasses lower its accuracy, and faces unlike those in FER2013 may be read less well. '
        + 'An expression is not a feeling: it reads faces, not minds.'],
    ];
    el.aboutBody.replaceChildren(...parts.map(([tag, text]) => Object.assign(doc.createElement(tag), { textContent: text })));
  }

  const on = (element, event, cb) => element.addEventListener(event, cb);

  return {
    video: el.video, image: el.image, overlay: el.overlay,
    setMode, setWhere, setIdle, setBackend, setStats, setProgress, showMessage, askServer, hideConsent,
    offerUpload, showStill, showVideo, render, clear, snapshot, download, setShareLink, showSettings,
    onSettingChange, setUnsureBelow, setCameraState, setCameras, setRecording, showAbout,
    selectMode: (value) => { el.modeSelect.value = value; },
    onShare: (cb) => on(el.share, 'click', cb),
    onUpload: (cb) => on(el.upload, 'change', () => { if (el.upload.files[0]) cb(el.upload.files[0]); }),
    /** Whether the user says the uploaded file is one face, already cropped (no detection). */
    wholeFace: () => el.wholeFace.checked,
    onWholeFaceChange: (cb) => on(el.wholeFace, 'change', () => cb(el.wholeFace.checked)),
    onCameraToggle: (cb) => on(el.cameraToggle, 'click', cb),
    onPause: (cb) => on(el.pause, 'click', cb),
    onCameraPick: (cb) => on(el.cameraSelect, 'change', () => cb(el.cameraSelect.value)),
    onSnapshot: (cb) => on(el.snapshot, 'click', cb),
    onRecord: (cb) => on(el.record, 'click', cb),
    onExport: (cb) => on(el.exportButton, 'click', () => cb(el.exportFormat.value)),
    copyShareLink,
  };

  /** Copy the share link; without the Clipboard API (plain http on a LAN) select it for the user. */
  async function copyShareLink() {
    el.shareLink.hidden = false;
    try {
      await navigator.clipboard.writeText(el.shareLink.value);
      showMessage('info', 'Link copied: it opens this page with the same mode and settings.');
    } catch {
      el.shareLink.focus();
      el.shareLink.select();
      showMessage('info', 'Copy the selected link: it opens this page with the same mode and settings.');
    }
  }
}
