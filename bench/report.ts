import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from './stats.js';

/** One line of the table: the worker's figure, the baseline's from the same run, their ratio and the target. */
export interface Row {
  measure: string;
  /** `ms CPU`: CPU time (user + system) per run or message; `calls`: Engine API calls per run. */
  unit: 'ms' | 'ms CPU' | 'msg/s' | 'MB' | 'MB/1k msg' | 'calls';
  worker: Summary;
  baseline?: Summary;
  /** What the baseline is. */
  baselineName?: string;
  /**
   * Cost ratio worker/baseline of the medians: for times worker ÷ baseline, for rates baseline ÷ worker; above 1
   * means the worker is slower.
   */
  ratio?: number;
  /** The same ratio round by round (or per part of the series): the noise the median ratio carries. */
  rounds?: number[];
  target?: string;
  met?: boolean;
  /** Extra figures (worker CPU per message, …). */
  note?: string;
}

/** A single figure as a Summary, for rows that are one number (RSS, a slope). */
export function single(value: number): Summary {
  return { n: 1, median: value, p95: value, min: value, max: value, mean: value };
}

/** Cost ratio of two summaries: times worker/baseline, rates baseline/worker. */
export function costRatio(unit: Row['unit'], worker: Summary, baseline: Summary): number {
  return unit === 'msg/s' ? baseline.median / worker.median : worker.median / baseline.median;
}

function fmt(value: number, unit: Row['unit']): string {
  if (!Number.isFinite(value)) return '–';
  if (unit === 'msg/s') return value >= 100 ? value.toFixed(0) : value.toFixed(1);
  if (unit === 'MB' || unit === 'MB/1k msg') return value.toFixed(unit === 'MB' ? 1 : 2);
  if (unit === 'calls') return Number.isInteger(value) ? String(value) : value.toFixed(2);
  if (unit === 'ms CPU') return value.toFixed(2);
  return value >= 1000 ? value.toFixed(0) : value.toFixed(1);
}

/** The table, as Markdown (it goes into the README as it is). */
export function table(rows: readonly Row[]): string {
  const head = [
    'measure',
    'unit',
    'worker median',
    'worker p95',
    'baseline median',
    'baseline p95',
    'ratio',
    'ratio by round: n, min–max',
    'target',
    '',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i >= 2 && i <= 6 ? '---:' : '---')).join('|')}|`];
  for (const row of rows) {
    const cells = [
      row.measure + (row.baselineName ? ` (vs ${row.baselineName})` : ''),
      row.unit,
      fmt(row.worker.median, row.unit),
      row.worker.n > 1 ? fmt(row.worker.p95, row.unit) : '',
      row.baseline ? fmt(row.baseline.median, row.unit) : '',
      row.baseline && row.baseline.n > 1 ? fmt(row.baseline.p95, row.unit) : '',
      row.ratio === undefined || !Number.isFinite(row.ratio) ? '' : row.ratio.toFixed(3),
      spread(row.rounds),
      row.target ?? '',
      row.met === undefined ? '' : row.met ? 'met' : '**missed**',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** `3: 0.971–1.102`: how many rounds, and the lowest and highest ratio among them. */
export function spread(rounds: readonly number[] | undefined): string {
  const finite = (rounds ?? []).filter((r) => Number.isFinite(r));
  if (finite.length < 2) return '';
  return `${finite.length}: ${Math.min(...finite).toFixed(3)}–${Math.max(...finite).toFixed(3)}`;
}

/** Writes the full results as JSON under `dir`; returns the file's path. */
export function writeResults(dir: string, runId: string, results: object): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}-${runId}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
