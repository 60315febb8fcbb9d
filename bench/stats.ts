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

/** How long `action` took, in milliseconds. */
export async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = now();
  await action();
  return now() - started;
}

/**
 * Each kind's median per run: `warmUp` calls of every kind first, then `rounds` runs of `perRound`
 * calls of every kind, interleaved in a new random order each time, so a busy moment of the machine
 * lands on every kind alike. Each call returns the milliseconds it timed.
 */
export async function interleavedMedians<Kind extends string>(
  calls: Record<Kind, () => Promise<number>>,
  { rounds, perRound, warmUp }: { rounds: number; perRound: number; warmUp: number },
): Promise<Record<Kind, number[]>> {
  const kinds = Object.keys(calls) as Kind[];
  const byKind = () => Object.fromEntries(kinds.map((kind) => [kind, [] as number[]])) as Record<Kind, number[]>;
  for (let i = 0; i < warmUp; i++) for (const kind of kinds) await calls[kind]();
  const perRun = byKind();
  for (let run = 0; run < rounds; run++) {
    const latencies = byKind();
    for (let i = 0; i < perRound; i++) for (const kind of shuffled(kinds)) latencies[kind].push(await calls[kind]());
    for (const kind of kinds) perRun[kind].push(quantile(latencies[kind], 0.5));
  }
  return perRun;
}
