// How much classifying a frame has room for (in-browser mode): whether the classifier's test-time
// views (two passes per face) fit, and how many of the crowd model's unsure faces the page's own
// model may read again. Both from running estimates of one pass's cost per face and of the rest of
// a frame. No TF.js here, so Node's tests run it as the page does.

export const FRAME_BUDGET_MS = 1000 / 30; // a frame with its extra passes should fit this (30 fps)
const SMOOTHING = 0.2; // weight of the newest frame in the running cost estimates

/**
 * The rest of a frame is from one frame's start to the next's, less the classifier: detection when
 * it runs, reading the frame, and the page drawing the result and waiting for the screen. The views
 * count it all, so they run only where a frame with them still keeps its place among the screen's
 * refreshes. The rechecks count only the busy part: the page's wait for the next refresh
 * (`idleMs`, which boot.js measures) is time they may fill, as the budget is a 30 fps frame, not
 * the screen's rate. The estimates do not depend on the choices, so they do not flip back and forth.
 */
export function createViewsBudget(budgetMs = FRAME_BUDGET_MS) {
  let passMs = null;
  let restMs = null;
  let idleMs = null;
  const mix = (old, now) => (old === null ? now : old + SMOOTHING * (now - old));
  return {
    // The first frame has a single view: its label shows sooner, and one pass's cost is measured.
    fits: (faces) => passMs !== null && restMs + 2 * passMs * faces <= budgetMs,
    // How many more single passes fit in a frame that has spent `spentMs` classifying already.
    passesThatFit: (spentMs) => (passMs === null ? 0
      : Math.max(0, Math.floor((budgetMs - Math.max(0, restMs - (idleMs ?? 0)) - spentMs) / passMs))),
    /** One frame's figures: `restMs` when known, `idle` the part of it spent waiting (0 when unknown). */
    record({ faces, views, classifyMs, restMs: rest, idle }) {
      if (rest !== undefined) {
        restMs = mix(restMs, rest);
        idleMs = mix(idleMs, Math.min(idle ?? 0, rest));
      }
      if (faces > 0) passMs = mix(passMs, classifyMs / (faces * (views ? 2 : 1)));
    },
  };
}
