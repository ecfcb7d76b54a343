// Suggests the name a person probably meant ("matchAtribute" → "matchAttribute"), for error
// messages about unknown config keys, targets and sources.

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of two neighbours
 * (optimal string alignment), so one typo of any common kind costs 1.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate closest to `given` (ignoring case), when it is close enough to be a typo:
 * at most a third of the longer name's letters differ (at least one edit is always allowed).
 */
export function closestName(given: string, candidates: Iterable<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    if (name === given) continue;
    const distance = editDistance(given.toLowerCase(), name.toLowerCase());
    const allowed = Math.max(1, Math.floor(Math.max(given.length, name.length) / 3));
    if (distance <= allowed && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
