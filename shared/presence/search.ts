/** The number of elements of the ascending `sorted` that are <= `value` (index of the first > value). */
export function upperBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? Number.POSITIVE_INFINITY) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first element of the ascending `sorted` strictly greater than `value`, or null. */
export function firstAfter(sorted: readonly number[], value: number): number | null {
  return sorted[upperBound(sorted, value)] ?? null;
}
