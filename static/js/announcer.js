// What a screen reader hears. The face list changes several times a second; reading it out that
// often drowns everything else. Only a change of the labels is announced, and at most once every
// `minGapMs`: a change inside the gap is announced when the gap ends, if it still holds then.

/**
 * @param {object} [config]
 * @param {number} [config.minGapMs]  least time between two announcements.
 * @returns {{update: (summary: string, now: number) => (string|null), reset: Function}}
 *   update(summary, now): the text to announce now, or null to stay quiet. `summary` is the
 *   faces' labels in words ("Face 1: happy"); '' is no face.
 */
export function createAnnouncer({ minGapMs = 3000 } = {}) {
  let spoken = null; // the last summary announced
  let lastAt = -Infinity;

  function update(summary, now) {
    if (summary === spoken || now - lastAt < minGapMs) return null;
    spoken = summary;
    lastAt = now;
    return summary || 'No face in view.';
  }

  return { update, reset: () => { spoken = null; lastAt = -Infinity; } };
}
