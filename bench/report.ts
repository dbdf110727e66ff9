import type { LoadResult } from './load.js';

/** What the bench runs against: the upstream itself, or the gateway in front of it. */
export type TargetName = 'direct' | 'gateway';
/** The load scenarios, measured on both targets. */
export type ScenarioId = 'S1' | 'S2';

/** One load step of one round. */
export interface Measurement {
  readonly round: number;
  readonly target: TargetName;
  readonly scenario: ScenarioId;
  readonly load: LoadResult;
  /** Peak RSS of the gateway during the step (not measured for direct). */
  readonly peakRssMiB: number | undefined;
}

/** S3: one big download through the gateway. */
export interface StreamResult {
  readonly mib: number;
  readonly seconds: number;
  readonly startRssMiB: number;
  readonly peakRssMiB: number;
}

/** One line of the table: medians over the rounds. */
export interface SummaryRow {
  readonly target: TargetName;
  readonly scenario: string;
  readonly rps: number | undefined;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  /** Median over the rounds of req/s divided by direct's req/s in the same round. */
  readonly ratioToDirect: number | undefined;
  /** Highest peak RSS of the gateway over the rounds. */
  readonly peakRssMiB: number | undefined;
  /** Non-2xx answers plus socket errors, summed over the rounds. */
  readonly errors: number;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Collapses the rounds into one row per target and scenario, then the S3 row. */
export function summarize(
  measurements: readonly Measurement[],
  labels: Readonly<Record<ScenarioId, string>>,
  stream: StreamResult,
): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const scenario of ['S1', 'S2'] as const) {
    const direct = measurements.filter((m) => m.scenario === scenario && m.target === 'direct');
    for (const target of ['direct', 'gateway'] as const) {
      const runs = measurements.filter((m) => m.scenario === scenario && m.target === target);
      const ratios = runs.map((run) => run.load.rps / direct.find((d) => d.round === run.round)!.load.rps);
      const peaks = runs.flatMap((run) => (run.peakRssMiB === undefined ? [] : [run.peakRssMiB]));
      rows.push({
        target,
        scenario: `${scenario} ${labels[scenario]}`,
        rps: median(runs.map((run) => run.load.rps)),
        p50Ms: median(runs.map((run) => run.load.p50Ms)),
        p99Ms: median(runs.map((run) => run.load.p99Ms)),
        ratioToDirect: median(ratios),
        peakRssMiB: peaks.length === 0 ? undefined : Math.max(...peaks),
        errors: runs.reduce((sum, run) => sum + run.load.non2xx + run.load.socketErrors, 0),
      });
    }
  }
  rows.push({
    target: 'gateway',
    scenario: `S3 GET ${stream.mib} MiB streamed`,
    rps: undefined,
    p50Ms: undefined,
    p99Ms: undefined,
    ratioToDirect: undefined,
    peakRssMiB: stream.peakRssMiB,
    errors: 0,
  });
  return rows;
}

const HEADER = ['target', 'scenario', 'req/s', 'p50 ms', 'p99 ms', 'x direct', 'peak RSS MiB', 'errors'];

const format = (value: number | undefined, digits: number): string =>
  value === undefined ? '-' : value.toFixed(digits);

/** The rows as a plain-text table: text columns left-aligned, numbers right-aligned, two spaces apart. */
export function formatTable(rows: readonly SummaryRow[]): string {
  const cells = rows.map((row) => [
    row.target,
    row.scenario,
    format(row.rps, 0),
    format(row.p50Ms, 2),
    format(row.p99Ms, 2),
    format(row.ratioToDirect, 2),
    format(row.peakRssMiB, 1),
    String(row.errors),
  ]);
  const widths = HEADER.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const render = (line: readonly string[]): string =>
    line
      .map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [render(HEADER), render(widths.map((width) => '-'.repeat(width))), ...cells.map(render)].join('\n');
}
