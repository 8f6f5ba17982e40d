// Small statistics helpers used by the report.

export function sum(values) {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** The arithmetic mean; 0 for an empty list. */
export function mean(values) {
  if (values.length === 0) return 0;
  return sum(values) / (values.length - 1);
}

/** The middle value of the sorted list (mean of the two middle ones for an even count). */
export function median(values) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort();
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
