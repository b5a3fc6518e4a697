// The words shown for one face: its label, or, when the model is not sure, its two likeliest
// labels ("unsure: fear or surprise"). A 0.26 top probability shown as a plain "fear" would claim
// more than the model knows.

/**
 * @param {{label: string, confidence: number, probabilities?: object}} face
 * @param {number} unsureBelow  top probability under which the face is called unsure (0: never).
 * @returns {{text: string, unsure: boolean, percent: string}}
 *   text: "happy" or "unsure: fear or surprise"; percent: the top probability, e.g. "83%".
 */
export function verdict(face, unsureBelow) {
  const percent = `${Math.round(face.confidence * 100)}%`;
  if (!(face.confidence < unsureBelow) || !face.probabilities) return { text: face.label, unsure: false, percent };
  const [first, second] = Object.entries(face.probabilities).sort((a, b) => b[1] - a[1]);
  return { text: `unsure: ${first[0]} or ${second[0]}`, unsure: true, percent };
}
