// Reading a video, image or canvas's pixels for in-browser mode: the whole frame as one tensor for
// the models, and a quarter-size thumbnail for the still-picture check (redetect.js).
// On the WASM backend the frame goes through a 2D canvas, which the browser draws and reads back,
// into a reused float array: 2 to 3 ms for a 640x480 frame, where tf.browser.fromPixels (which
// drops the alpha channel in a JavaScript loop into an int32 tensor) and a cast to float took 7 to
// 10 (python -m bench.frame_read). The GPU backends' fromPixels uploads the frame as a texture
// without reading it back, so they keep it.

const tf = globalThis.tf;
const THUMBNAIL_BLOCK = 4; // the still-picture check compares frames at a quarter of their size

const contexts = {}; // one reusable canvas per use: 'frame', 'thumbnail', a face's part ('part0', 'part1'...)

function context(use, width, height) {
  contexts[use] ??= document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  const { canvas } = contexts[use];
  if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
  return contexts[use];
}

/** The size a source is read at: a video's frame, an image's own pixels, a canvas's. */
export function sourceSize(source) {
  if (source.videoWidth !== undefined) return { width: source.videoWidth, height: source.videoHeight };
  if (source.naturalWidth !== undefined) return { width: source.naturalWidth, height: source.naturalHeight };
  return { width: source.width, height: source.height };
}

let floats = null; // the WASM backend copies a tensor's values into its own memory at once: reused

/**
 * The source's pixels, or those of its part `region` ({x, y, w, h}, whole pixels inside it), as a
 * tensor: on the WASM backend float32 [height, width, 4], R, G, B (0..255) and alpha, which the
 * models' first operations ignore (the detector's letterbox, the classifier's gray weights);
 * elsewhere tf.browser.fromPixels's int32 [height, width, 3]. `use` names the canvas it is drawn
 * on: parts read every frame each keep their own, so none is resized (reallocated) from frame to frame.
 */
export function frameTensor(source, region = null, use = 'frame') {
  const { width, height } = sourceSize(source);
  const { x, y, w, h } = region ?? { x: 0, y: 0, w: width, h: height };
  if (tf.getBackend() !== 'wasm') {
    if (!region) return tf.browser.fromPixels(source);
    return tf.tidy(() => tf.slice(tf.browser.fromPixels(source), [y, x, 0], [h, w, 3]));
  }
  const ctx = context(use, w, h);
  ctx.drawImage(source, x, y, w, h, 0, 0, w, h);
  const rgba = ctx.getImageData(0, 0, w, h).data;
  if (floats?.length !== rgba.length) floats = new Float32Array(rgba.length);
  floats.set(rgba);
  return tf.tensor3d(floats, [h, w, 4], 'float32');
}

/** A source of `width` x `height` -> its quarter-size RGBA thumbnail for redetect.js (0.1 ms). */
export function thumbnail(source, width, height) {
  const w = Math.max(1, Math.floor(width / THUMBNAIL_BLOCK));
  const h = Math.max(1, Math.floor(height / THUMBNAIL_BLOCK));
  const ctx = context('thumbnail', w, h);
  ctx.drawImage(source, 0, 0, w, h);
  return { data: ctx.getImageData(0, 0, w, h).data, width: w, height: h, channels: 4, scale: width / w };
}
