// Counts in words for people to read: "1 accepted gap", "2 accepted gaps", "0 orphans". One home for
// the rule, so no line prints "1 accepted gaps" or hedges with "orphan(s)".

/**
 * `count` and the noun in the number it needs.
 * @param plural the plural when it is not the singular plus "s" (e.g. "entries") @default singular + 's'
 */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
