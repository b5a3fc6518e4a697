// The one module that touches the DOM: status line, messages, the overlay canvas
// (boxes, labels, probability bars), the accessible result list and the controls.
// The preview is mirrored like a selfie camera; boxes are mirrored to match.

const CAPTION_CSS_PX = 16; // the label above each box, as seen on screen
const BAR_LABEL_CSS_PX = 11; // the names beside the seven probability bars
const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45'];

/** Bind to the page's elements (ids in templates/index.html). `labels` orders the bars. */
export function createUI(doc, labels) {
  const $ = (id) => doc.getElementById(id);
  const el = {
    stage: $('stage'), video: $('video'), image: $('still'), overlay: $('overlay'),
    list: $('faces'), mode: $('mode-name'), backend: $('backend-name'), fps: $('fps'),
    latency: $('latency'), privacy: $('privacy'), message: $('message'), modeSelect: $('mode-select'),
    share: $('share'), shareLink: $('share-link'), upload: $('upload'), uploadBox: $('upload-box'),
    wholeFace: $('whole-face'), detail: $('detail'),
  };
  const ctx = el.overlay.getContext('2d');

  function setMode(kind, reason = '') {
    el.stage.dataset.mode = kind;
    doc.body.dataset.mode = kind;
    el.mode.textContent = kind === 'server' ? 'server' : 'in-browser';
    el.privacy.textContent = kind === 'server'
      ? 'Server mode: frames are sent to this server to be analysed, and are not stored.'
      : 'In-browser mode: frames are analysed on this device. No frame leaves it.';
    if (reason) showMessage('info', reason);
  }

  function setBackend(name, measured, threads = null) {
    el.backend.textContent = name;
    doc.body.dataset.backend = name;
    doc.body.dataset.threads = threads ?? '';
    const parts = Object.entries(measured ?? {}).map(([b, ms]) => `${b}: ${ms === null ? 'unavailable' : `${ms.toFixed(1)} ms`}`);
    const notes = [threads ? `${threads} thread${threads > 1 ? 's' : ''}` : '', parts.length ? `warm-up per frame — ${parts.join(', ')}` : ''];
    el.backend.title = notes.filter(Boolean).join('; ');
  }

  function setStats({ fps, latency, detail }) {
    el.fps.textContent = fps.toFixed(1);
    el.latency.textContent = `${latency.toFixed(0)} ms`;
    el.detail.textContent = detail ?? '';
  }

  function showMessage(kind, text) {
    el.message.hidden = !text;
    el.message.dataset.kind = kind;
    el.message.textContent = text;
  }

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

  function drawFace(face, i, W, mirrored) {
    const [bx, by, bw, bh] = face.box;
    const x = mirrored ? W - bx - bw : bx;
    const color = COLORS[i % COLORS.length];
    // Sized in screen pixels, not the source's: a 640-pixel frame on a 390-pixel phone screen
    // would otherwise shrink the text below reading size.
    const sourcePerCssPixel = W / (el.overlay.clientWidth || W);
    const unit = CAPTION_CSS_PX * sourcePerCssPixel;
    ctx.lineWidth = Math.max(2, unit / 6);
    ctx.strokeStyle = color;
    ctx.strokeRect(x, by, bw, bh);
    ctx.font = `${unit}px sans-serif`;
    const caption = `${face.label} ${(face.confidence * 100).toFixed(0)}%`;
    const tw = ctx.measureText(caption).width + unit / 2;
    ctx.fillStyle = color;
    ctx.fillRect(x, Math.max(0, by - unit * 1.3), tw, unit * 1.3);
    ctx.fillStyle = '#fff';
    ctx.fillText(caption, x + unit / 4, Math.max(unit, by - unit * 0.3));
    // Seven bars under the box, one per label, in manifest order.
    const font = BAR_LABEL_CSS_PX * sourcePerCssPixel;
    const barH = font * 1.05;
    ctx.font = `${font}px sans-serif`;
    const barW = Math.max(bw, unit * 7);
    labels.forEach((label, k) => {
      const y = by + bh + 4 + k * (barH + 2);
      const p = face.probabilities?.[label] ?? 0;
      ctx.fillStyle = 'rgba(0,0,0,0.55)';
      ctx.fillRect(x, y, barW, barH);
      ctx.fillStyle = color;
      ctx.fillRect(x, y, barW * p, barH);
      ctx.fillStyle = '#fff';
      ctx.fillText(label, x + 2, y + barH - 1);
    });
  }

  /** Draw one result ({faces, width, height}) on the overlay and in the list. */
  function render(result, { mirrored }) {
    const { faces, width: W, height: H } = result;
    if (el.overlay.width !== W || el.overlay.height !== H) {
      el.overlay.width = W;
      el.overlay.height = H;
      el.stage.style.setProperty('--aspect', String(W / H));
    }
    ctx.clearRect(0, 0, W, H);
    faces.forEach((f, i) => drawFace(f, i, W, mirrored));
    el.list.replaceChildren(...faces.map((f, i) => {
      const li = doc.createElement('li');
      li.dataset.label = f.label;
      li.dataset.confidence = f.confidence.toFixed(3);
      li.dataset.box = f.box.map((v) => Math.round(v)).join(',');
      const top = labels.map((l) => [l, f.probabilities?.[l] ?? 0]).sort((a, b) => b[1] - a[1]).slice(1, 3);
      li.textContent = `Face ${i + 1}: ${f.label}, ${(f.confidence * 100).toFixed(0)}% confident`
        + (top.length ? ` (then ${top.map(([l, p]) => `${l} ${(p * 100).toFixed(0)}%`).join(', ')})` : '');
      return li;
    }));
    el.list.dataset.count = String(faces.length);
    el.list.dataset.frames = String(Number(el.list.dataset.frames ?? 0) + 1);
  }

  function clear() {
    ctx.clearRect(0, 0, el.overlay.width, el.overlay.height);
    el.list.replaceChildren();
    el.list.dataset.count = '0';
  }

  function setShareLink(url) {
    el.shareLink.value = url;
  }

  function onModeChange(cb) { el.modeSelect.addEventListener('change', () => cb(el.modeSelect.value)); }
  function selectMode(value) { el.modeSelect.value = value; }
  function onShare(cb) { el.share.addEventListener('click', cb); }
  function onUpload(cb) {
    el.upload.addEventListener('change', () => { if (el.upload.files[0]) cb(el.upload.files[0]); });
  }
  /** Whether the user says the uploaded file is one face, already cropped (no detection). */
  function wholeFace() { return el.wholeFace.checked; }
  function onWholeFaceChange(cb) { el.wholeFace.addEventListener('change', () => cb(el.wholeFace.checked)); }

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

  return {
    video: el.video, image: el.image,
    setMode, setBackend, setStats, showMessage, offerUpload, showStill, showVideo,
    render, clear, setShareLink, onModeChange, selectMode, onShare, onUpload, copyShareLink,
    wholeFace, onWholeFaceChange,
  };
}
