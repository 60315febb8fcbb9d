/**
 * Summaries of repeated measurements. Every figure the benchmark reports is a median of several
 * runs with the runs' range beside it, so one noisy run moves neither the figure nor the verdict.
 */
export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

export function summarize(samples: readonly number[]): Summary {
  return { median: quantile(samples, 0.5), min: Math.min(...samples), max: Math.max(...samples), runs: samples.length };
}

/** Per-run ratios of two measurements taken side by side in the same run (interleaved). */
export function pairedRatios(values: readonly number[], baselines: readonly number[]): number[] {
  return values.map((value, i) => value / baselines[i]!);
}

/** Milliseconds since an arbitrary origin, high resolution. */
export const now = (): number => performance.now();

/** Fisher–Yates, so the order of interleaved runs does not favour whatever always goes first. */
export function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
