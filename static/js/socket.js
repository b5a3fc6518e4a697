// Server mode: frames go to the server's Socket.IO namespace /stream as JPEG, one
// in flight at a time; JPEG quality and frame size adapt to the round-trip time so
// the stream stays real-time. The connection reconnects by itself.
import { vendorUrl } from './vendor.js';

// The UMD build, loaded on demand: the minified ESM build of socket.io-client 4.8.1 mangles
// the binary placeholder key (`_placeholder` -> `et`), so servers receive a dict, not the JPEG.
const CLIENT_URL = vendorUrl('socket.io-client', 'dist/socket.io.min.js');

function loadClient() {
  if (globalThis.io) return Promise.resolve(globalThis.io);
  return new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement('script'), { src: CLIENT_URL });
    script.onload = () => resolve(globalThis.io);
    script.onerror = () => reject(new Error(`The Socket.IO client could not be loaded from ${CLIENT_URL}`));
    document.head.append(script);
  });
}

const DEFAULTS = {
  namespace: '/stream',
  targetMs: 150, // round trip we aim for; slower shrinks the frame, faster grows it back
  maxWidth: 640,
  minWidth: 160,
  quality: 0.8,
  minQuality: 0.4,
  maxQuality: 0.9,
  timeoutMs: 5000, // a frame with no answer by then is given up
};

/**
 * Connect to the server.
 * @param {object} [config]  overrides of DEFAULTS (namespace, targetMs, maxWidth, ...).
 * @param {(state: string) => void} [config.onConnection]  'connected' | 'reconnecting' | 'disconnected'.
 * @returns {Promise<{kind: 'server', backend: string, analyse: Function, settings: Function, dispose: Function}>}
 */
export async function createServerEngine(config = {}) {
  const opts = { ...DEFAULTS, ...config };
  const io = await loadClient();
  // WebSocket first (one connection: behind a proxy in front of several processes it needs no
  // stickiness); long-polling where WebSockets are blocked, naming this page (?client=) so that
  // the proxy keeps its polls on one process (deploy/nginx.conf). Not a secret, hence Math.random.
  const socket = io(opts.namespace, { transports: ['websocket', 'polling'], tryAllTransports: true,
    query: { client: Math.random().toString(36).slice(2) },
    reconnection: true, reconnectionDelay: 500, reconnectionDelayMax: 3000 });
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d');
  const pending = new Map();
  let nextId = 1;
  let width = opts.maxWidth;
  let quality = opts.quality;
  let rtt = null;

  const report = (state) => opts.onConnection?.(state);
  socket.on('connect', () => report('connected'));
  socket.on('disconnect', (reason) => {
    report('reconnecting');
    // Frames in flight died with the connection: say so now rather than at their timeout.
    if (pending.size) settle(undefined, new Error('Connection to the server lost: reconnecting…'));
    // A server that shuts down (SIGTERM: server/serving.py) ends each session itself, which
    // Socket.IO takes as final; this page wants the next server, here or behind the proxy.
    if (reason === 'io server disconnect') socket.connect();
  });
  socket.io.on('reconnect_attempt', () => report('reconnecting'));
  socket.on('result', (msg) => settle(msg?.id, null, msg));
  socket.on('error', (msg) => settle(msg?.id, new Error(`Server error ${msg?.code ?? ''}: ${msg?.message ?? msg}`)));

  function settle(id, err, value) {
    // A result answers its own frame only: one that comes after its frame timed out is dropped, or
    // it would stand for the next frame and keep the page a frame behind. An error without an id
    // (a refused connection, a closed socket) answers every frame in flight.
    if (!pending.has(id) && (id !== undefined && id !== null || !err)) return;
    const ids = pending.has(id) ? [id] : [...pending.keys()];
    for (const key of ids) {
      const p = pending.get(key);
      pending.delete(key);
      clearTimeout(p.timer);
      if (err) p.reject(err); else p.resolve(value);
    }
  }

  function connected(ms) {
    return new Promise((resolve, reject) => {
      // The listener goes when the wait ends either way: the loop calls this again and again
      // while the server is away, and each call used to leave one behind.
      const onConnect = () => { clearTimeout(timer); resolve(); };
      const timer = setTimeout(() => {
        socket.off('connect', onConnect);
        reject(new Error('Not connected to the server (reconnecting)'));
      }, ms);
      socket.once('connect', onConnect);
    });
  }

  function adapt(ms) {
    rtt = rtt === null ? ms : 0.7 * rtt + 0.3 * ms;
    if (rtt > opts.targetMs * 1.3) {
      if (quality > opts.minQuality + 1e-6) quality = Math.max(opts.minQuality, quality - 0.1);
      else width = Math.max(opts.minWidth, Math.round(width * 0.8));
    } else if (rtt < opts.targetMs * 0.8) {
      if (width < opts.maxWidth) width = Math.min(opts.maxWidth, Math.round(width * 1.15));
      else quality = Math.min(opts.maxQuality, quality + 0.05);
    }
  }

  async function encode(source) {
    const sw = source.videoWidth || source.naturalWidth || source.width;
    const sh = source.videoHeight || source.naturalHeight || source.height;
    const w = Math.min(width, sw);
    canvas.width = w;
    canvas.height = Math.round((sh * w) / sw);
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
    return { buffer: await blob.arrayBuffer(), sw, sh };
  }

  /**
   * Send one frame, wait for its result: {faces, width, height, timings} in the source's pixels.
   * `wholeFace`: the frame is one face, already cropped; the server skips detection.
   */
  async function analyse(source, { wholeFace = false } = {}) {
    if (!socket.connected) await connected(opts.timeoutMs);
    const t0 = performance.now();
    const { buffer, sw, sh } = await encode(source);
    const id = nextId++;
    const answer = new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(id, new Error(`No answer from the server within ${opts.timeoutMs} ms`)), opts.timeoutMs);
      pending.set(id, { resolve, reject, timer });
    });
    socket.emit('frame', { id, image: buffer, detect: !wholeFace });
    const msg = await answer;
    const total = performance.now() - t0;
    adapt(total);
    const k = sw / (msg.width || canvas.width);
    const faces = (msg.faces ?? []).map((f) => ({ ...f, box: f.box.map((v) => v * k) }));
    const t = msg.timings ?? {};
    return {
      faces, width: sw, height: sh,
      timings: { detect: t.detect, classify: t.classify, server: t.total, total },
      sent: { width: canvas.width, height: canvas.height, quality, bytes: buffer.byteLength },
    };
  }

  return {
    kind: 'server',
    backend: 'server',
    analyse,
    settings: () => ({ width, quality, rtt }),
    dispose() { settle(undefined, new Error('closed')); socket.close(); },
  };
}
