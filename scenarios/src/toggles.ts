// Checks a scenario's faults and mitigations against the catalogue the running service
// publishes (GET /admin/catalogue), before anything is switched on: a typo in a parameter
// fails the run up front with the file and field, instead of half-way through a phase.
import type { ServiceCatalogue } from './admin.js';
import type { Scenario } from './define.js';
import { ScenarioError } from './errors.js';

export function checkTogglesAgainst(scenario: Scenario, catalogue: ServiceCatalogue, file: string): void {
  const names = Object.keys(catalogue.toggles);
  scenario.phases.forEach((phase, i) => {
    for (const kind of ['faults', 'mitigations'] as const) {
      const expected = kind === 'faults' ? 'fault' : 'mitigation';
      for (const [name, params] of Object.entries(phase[kind] ?? {})) {
        const field = `phases[${i}].${kind}.${name}`;
        const entry = catalogue.toggles[name];
        const allowedNames = names.filter((n) => catalogue.toggles[n]?.kind === expected);
        if (!entry || entry.kind !== expected)
          throw new ScenarioError(file, field, `no ${expected} named "${name}"`, allowedNames.join(', '));
        for (const [key, value] of Object.entries(params)) {
          const spec = entry.params[key];
          if (!spec) throw new ScenarioError(file, `${field}.${key}`, 'unknown parameter', Object.keys(entry.params).join(', ') || 'none');
          const problem = paramProblem(spec, value);
          if (problem) throw new ScenarioError(file, `${field}.${key}`, problem, allowedText(spec));
        }
      }
    }
  });
}

function paramProblem(spec: ServiceCatalogue['toggles'][string]['params'][string], value: unknown): string | undefined {
  const shown = JSON.stringify(value);
  switch (spec.type) {
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (spec.type === 'integer' && !Number.isInteger(value))) return `got ${shown}`;
      if (spec.min !== undefined && value < spec.min) return `${value} is below the minimum`;
      if (spec.max !== undefined && value > spec.max) return `${value} is above the maximum (the service would clamp it)`;
      return undefined;
    case 'enum':
      return typeof value === 'string' && spec.values?.includes(value) ? undefined : `got ${shown}`;
    case 'set':
      return Array.isArray(value) && value.length > 0 && value.every((v) => spec.values?.includes(v)) ? undefined : `got ${shown}`;
    case 'trigger': {
      // The full grammar is checked by the service when the phase sets the fault; the source is
      // checked here, before anything runs, against what the fault's routes can carry.
      if (typeof value !== 'string') return `got ${shown}`;
      const source = value.slice(0, Math.max(0, value.indexOf(':')));
      if (value === '' || !spec.sources || spec.sources.includes(source)) return undefined;
      return `source "${source.slice(0, 20)}" is not one of ${spec.sources.join(', ')}`;
    }
    default:
      return undefined;
  }
}

function allowedText(spec: ServiceCatalogue['toggles'][string]['params'][string]): string {
  if (spec.type === 'enum') return `one of ${spec.values?.join(', ')}`;
  if (spec.type === 'set') return `a non-empty array of ${spec.values?.join(', ')}`;
  if (spec.type === 'trigger') return `a string "" or "<${(spec.sources ?? ['header', 'query', 'body']).join('|')}>:<name>=<value>"`;
  return `${spec.type === 'integer' ? 'an integer' : 'a number'} from ${spec.min} to ${spec.max}`;
}
