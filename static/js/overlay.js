// The boxes over the picture. The canvas is sized to its on-screen size (times the device pixel
// ratio), not to the source's: text drawn into a 640-pixel frame shown 390 pixels wide, or into a
// 48x48 crop shown 600 wide, was blurred or smeared. Each box carries a short caption (number,
// label, confidence); the probability bars are in the face list, numbered and coloured alike.
import { verdict } from './verdict.js';

const CAPTION_CSS_PX = 15; // caption text height on screen
const LINE_CSS_PX = 2.5; // box outline width on screen
/** Box colours, by face number (1 -> PALETTE[0]); the face list uses the same ones. */
export const PALETTE = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#bfef45'];

/** WCAG relative luminance of a '#rrggbb' colour. */
function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The face number's colours: {background, text}; black or white text, whichever contrasts more
 * (one of the two always reaches WCAG's 4.5:1 on any background). */
export function colorsFor(number) {
  const background = PALETTE[(number - 1) % PALETTE.length];
  const L = luminance(background);
  const onWhite = 1.05 / (L + 0.05);
  const onBlack = (L + 0.05) / 0.05;
  return { background, text: onWhite >= onBlack ? '#ffffff' : '#000000' };
}

/** The caption on a box: "1 happy 83%", or "2 fear/surprise? 26%" when unsure. */
export function caption(face, number, unsureBelow) {
  const v = verdict(face, unsureBelow);
  const words = v.unsure ? `${v.text.replace(/^unsure: /, '').replace(' or ', '/')}?` : v.text;
  return `${number} ${words} ${v.percent}`;
}

/**
 * Bind to the overlay canvas.
 * @param {HTMLCanvasElement} canvas  absolutely placed over the picture, same box on screen.
 * @returns {{draw: Function, clear: Function}}
 */
export function createOverlay(canvas) {
  const ctx = canvas.getContext('2d');

  /** Match the canvas to its on-screen size; returns device pixels per CSS pixel. */
  function fit() {
    const dpr = globalThis.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== w || canvas.height !== h) Object.assign(canvas, { width: w, height: h });
    return dpr;
  }

  /**
   * Draw `faces` (boxes in source pixels) over a source of `width` x `height`.
   * @param {object[]} faces  {box: [x, y, w, h], label, confidence, probabilities, number?}
   * @param {{width: number, height: number, mirrored: boolean, unsureBelow: number}} view
   */
  function draw(faces, { width, height, mirrored, unsureBelow }) {
    const dpr = fit();
    const kx = canvas.width / width;
    const ky = canvas.height / height;
    // Tests and the snapshot read boxes back in source pixels through this.
    canvas.dataset.scale = String(kx);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const font = CAPTION_CSS_PX * dpr;
    ctx.font = `600 ${font}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    faces.forEach((face, i) => {
      const number = face.number ?? i + 1;
      const [bx, by, bw, bh] = face.box;
      const x = (mirrored ? width - bx - bw : bx) * kx;
      const y = by * ky;
      const { background, text } = colorsFor(number);
      ctx.lineWidth = LINE_CSS_PX * dpr;
      ctx.strokeStyle = background;
      ctx.strokeRect(x, y, bw * kx, bh * ky);
      const words = caption(face, number, unsureBelow);
      const tw = ctx.measureText(words).width + font * 0.6;
      const th = font * 1.4;
      // Above the box when there is room, else just inside its top; never past the canvas edge.
      const cx = Math.min(Math.max(0, x), Math.max(0, canvas.width - tw));
      const cy = y - th >= 0 ? y - th : y;
      ctx.fillStyle = background;
      ctx.fillRect(cx, cy, tw, th);
      ctx.fillStyle = text;
      ctx.fillText(words, cx + font * 0.3, cy + th / 2);
    });
  }

  function clear() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
  }

  return { draw, clear, fit };
}
