// Box geometry shared by the detector (non-maximum suppression) and the label smoothing (which
// face is which from one frame to the next). Boxes are {x, y, w, h} in frame pixels.

/** Intersection over union of two boxes, 0..1. */
export function iou(a, b) {
  const iw = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const ih = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = iw * ih;
  return inter / Math.max(a.w * a.h + b.w * b.h - inter, 1e-9);
}
