import { pairedRatios, summarize, type Summary } from './stats';

/**
 * One line of the benchmark: a measured figure, the baseline it is held against (measured in
 * the same run), their ratio and, where docs/performance.md sets one, the budget for that ratio.
 */
export interface BenchItem {
  name: string;
  unit: string;
  value: Summary;
  baseline: { name: string; value: Summary } | null;
  /** value ÷ baseline, per run where both were measured side by side. */
  ratio: Summary | null;
  /** The highest ratio allowed; null = reported, not judged. */
  budget: number | null;
  pass: boolean | null;
  note?: string;
}

export function item(fields: Omit<BenchItem, 'pass'>): BenchItem {
  const pass = fields.budget === null || fields.ratio === null ? null : fields.ratio.median <= fields.budget;
  return { ...fields, pass };
}

/**
 * A line held against a baseline measured side by side in the same runs: the value and the
 * baseline are the runs' medians, the ratio is taken run by run.
 */
export function pairedItem(fields: {
  name: string;
  unit: string;
  runs: number[];
  baseline: { name: string; runs: number[] };
  budget: number | null;
  note?: string;
}): BenchItem {
  const { runs, baseline, ...rest } = fields;
  return item({
    ...rest,
    value: summarize(runs),
    baseline: { name: baseline.name, value: summarize(baseline.runs) },
    ratio: summarize(pairedRatios(runs, baseline.runs)),
  });
}

function number(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function figure(summary: Summary, unit: string): string {
  const range = summary.runs > 1 ? ` (${number(summary.min)}–${number(summary.max)})` : '';
  return `${number(summary.median)} ${unit}${range}`;
}

/** The median ratio with the min–max of the runs and their number, so a pass can be told from luck. */
function ratioText(ratio: Summary | null): string {
  if (!ratio) return '';
  const range = ratio.runs > 1 ? ` (${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)}, ${ratio.runs} runs)` : '';
  return `${ratio.median.toFixed(2)}×${range}`;
}

const verdict = (pass: boolean | null) => (pass === null ? 'report' : pass ? 'pass' : 'FAIL');

/** A plain-text table: medians with the min–max of the runs in brackets. */
export function formatTable(items: readonly BenchItem[]): string {
  const header = ['item', 'value (min–max)', 'baseline', 'baseline value', 'ratio (min–max, runs)', 'budget', 'result', 'note'];
  const rows = items.map((i) => [
    i.name,
    figure(i.value, i.unit),
    i.baseline?.name ?? '',
    i.baseline ? figure(i.baseline.value, i.unit) : '',
    ratioText(i.ratio),
    i.budget === null ? '' : `≤ ${i.budget}×`,
    verdict(i.pass),
    i.note ?? '',
  ]);
  const widths = header.map((h, column) => Math.max(h.length, ...rows.map((r) => r[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}
