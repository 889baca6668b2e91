// Formatting of rule values and thresholds, shared by the reports and the alert annotations so a
// number reads the same in the terminal, in JUnit and in Alertmanager.

import type { Unit } from './rules.js';

export function formatValue(unit: Unit, value: number): string {
  if (!Number.isFinite(value)) return String(value);
  switch (unit) {
    case 'seconds':
      return value < 1 ? `${round(value * 1000)}ms` : `${round(value)}s`;
    case 'ratio':
      return `${round(value * 100)}%`;
    case 'tasks_per_worker':
      return `${round(value)} tasks/worker`;
    case 'calls':
      return `${round(value)} calls`;
  }
}

/** The same value as a Prometheus alert template renders it. */
export function valueTemplate(unit: Unit): string {
  switch (unit) {
    case 'seconds':
      return '{{ $value | humanizeDuration }}';
    case 'ratio':
      return '{{ $value | humanizePercentage }}';
    case 'tasks_per_worker':
      return '{{ $value | printf "%.1f" }} tasks/worker';
    case 'calls':
      return '{{ $value | printf "%.0f" }} calls';
  }
}

// Three significant digits at most, without trailing zeros: 612ms, 1.25s, 97.3%.
function round(value: number): string {
  if (value === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return String(Number(value.toFixed(Math.min(digits, 6))));
}
