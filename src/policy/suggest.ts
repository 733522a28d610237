/**
 * "Did you mean …?" for misspelt field names, kinds and enum values.
 *
 * A typo'd field is the most common policy mistake and, in an allowlist, a silent one: a misspelt
 * `destinationCIDRs` would otherwise just be an unknown key. Suggesting the intended name turns the
 * error into a one-keystroke fix.
 */

/** The closest candidate within a typo's reach, or undefined when nothing is plausibly meant. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(needle, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const reach = Math.max(1, Math.floor(input.length / 3));
  return bestDistance <= reach ? best : undefined;
}

/** `did you mean \`x\`?`, or undefined when there is no close candidate. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  const match = closest(input, candidates);
  return match === undefined ? undefined : `did you mean \`${match}\`?`;
}

/** Optimal string alignment distance: Levenshtein plus adjacent transposition (`prots` → `ports`). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, d[i - 2][j - 2] + 1);
      }
      d[i][j] = value;
    }
  }
  return d[a.length][b.length];
}
