// Prints figures as an aligned table (benchmarks print, they do not assert).
export function printTable(title: string, rows: object[]): void {
  const records = rows as Record<string, unknown>[];
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
  const widths = keys.map((k) => Math.max(k.length, ...records.map((r) => cell(r[k]).length)));
  console.log(`\n${title}`);
  console.log(keys.map((k, i) => k.padEnd(widths[i] as number)).join('  '));
  for (const r of records) console.log(keys.map((k, i) => cell(r[k]).padEnd(widths[i] as number)).join('  '));
}

/** Seconds per phase from argv (`--phase-seconds N`), default `fallback`. */
export function phaseMsFromArgs(fallback: number): number {
  const index = process.argv.indexOf('--phase-seconds');
  const value = index === -1 ? fallback : Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value <= 0 || value > 600) throw new Error('--phase-seconds: expected a number of seconds from 1 to 600');
  return value * 1000;
}
