// Workshop modules: workshop/modules/NN-<id>.md, YAML front matter plus a Markdown body with fixed
// `##` sections (the format is described in workshop/README.md). Loading validates everything a
// command relies on, so `lab workshop answer` or a test never meets a half-valid module: each
// problem names the file, the field, what it got and what is allowed.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { catalogueNames, loadScenario, SIGNAL_IDS, type SignalId } from '@runtime-lab/scenarios';
import { parse, type ScalarTag, type Tags } from 'yaml';
import { WorkshopError } from './errors.js';
import { EXERCISE_IDS } from './exercises/catalogue.js';
import { MODULES_DIR } from './paths.js';

export const BODY_SECTIONS = [
  'Goals',
  'Predict',
  'Run',
  'What to look at',
  'Expected observations',
  'Answer key',
  'Common misreadings',
  'Timing',
] as const;

const ID = /^[a-z0-9-]+$/;

// Numbers in the front matter are plain decimals, read as written: the YAML reader alone takes
// 0x1E as 30, 0o17 as 15, 1e3 as 1000 and .inf/.nan as numbers (and a YAML 1.1 reader takes 010
// as 8). With this one number tag in place of YAML's int and float tags, anything else stays text,
// which the checks below refuse where a number is wanted (e.g. `minutes: 0x1E` -> got "0x1E").
// The same syntax as @runtime-lab/values' readDecimal; -0 reads as 0.
const YAML_INT = 'tag:yaml.org,2002:int';
const YAML_FLOAT = 'tag:yaml.org,2002:float';
const PLAIN_DECIMAL: ScalarTag = {
  tag: YAML_FLOAT,
  default: true,
  test: /^-?\d+(?:\.\d+)?$/,
  resolve: (text: string) => Number(text) + 0,
};
const decimalNumbersOnly = (tags: Tags): Tags => [
  ...tags.filter((t) => typeof t === 'string' || (t.tag !== YAML_INT && t.tag !== YAML_FLOAT)),
  PLAIN_DECIMAL,
];
const FILE_NAME = /^(\d\d)-([a-z0-9-]+)\.md$/;

export interface PredictQuestion {
  id: string;
  question: string;
  choices: Record<string, string>;
  answer: string;
  hint: string;
  explain: string;
}

/** One check against report.json: `phases[name=phase].summary[signal]` above and/or below a value (report units). */
export interface ObservationCheck {
  phase: string;
  signal: SignalId;
  above?: number;
  below?: number;
}

export interface Observation {
  text: string;
  checks: ObservationCheck[];
}

export interface WorkshopModule {
  /** Position in the sequence, from the file name's NN. */
  order: number;
  file: string;
  id: string;
  title: string;
  minutes: number;
  scenario?: string;
  exercise?: string;
  predict: PredictQuestion[];
  observations: Observation[];
  /** The Markdown body, front matter removed. */
  body: string;
}

class Problem {
  constructor(readonly file: string) {}

  fail(field: string, message: string): never {
    throw new WorkshopError('LAB_WORKSHOP_MODULE', `${this.file}: ${field}: ${message}`);
  }

  string(value: unknown, field: string): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(field, `must be a non-empty string, got ${JSON.stringify(value)}`);
    return value;
  }

  id(value: unknown, field: string): string {
    const text = this.string(value, field);
    if (!ID.test(text)) this.fail(field, `"${text}" is not allowed; allowed: lower-case letters, digits and "-"`);
    return text;
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(field, `must be a mapping, got ${JSON.stringify(value)}`);
    return value as Record<string, unknown>;
  }

  keys(value: Record<string, unknown>, field: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.fail(`${field}${field ? '.' : ''}${key}`, `unknown field; allowed: ${allowed.join(', ')}`);
    }
  }

  array(value: unknown, field: string): unknown[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) this.fail(field, `must be a list, got ${JSON.stringify(value)}`);
    return value;
  }
}

function splitFrontMatter(text: string, p: Problem): { yaml: string; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match) return p.fail('front matter', 'the file must start with a YAML block between two "---" lines');
  return { yaml: match[1] as string, body: match[2] as string };
}

function checkSections(body: string, p: Problem): void {
  const found = [...body.matchAll(/^## +(.+?)\s*$/gm)].map((m) => m[1] as string);
  const expected = [...BODY_SECTIONS];
  if (found.join('|') !== expected.join('|')) {
    p.fail('body', `the "##" sections must be, in this order: ${expected.join(', ')}; found: ${found.join(', ') || 'none'}`);
  }
}

function parsePredict(raw: unknown, p: Problem): PredictQuestion[] {
  const seen = new Set<string>();
  return p.array(raw, 'predict').map((item, i) => {
    const field = `predict[${i}]`;
    const q = p.object(item, field);
    p.keys(q, field, ['id', 'question', 'choices', 'answer', 'hint', 'explain']);
    const id = p.id(q.id, `${field}.id`);
    if (seen.has(id)) p.fail(`${field}.id`, `"${id}" is used twice; question ids must be unique in a module`);
    seen.add(id);
    const choicesRaw = p.object(q.choices, `${field}.choices`);
    const choices: Record<string, string> = {};
    for (const [key, text] of Object.entries(choicesRaw)) {
      if (!/^[a-z]$/.test(key)) p.fail(`${field}.choices.${key}`, 'a choice key must be one lower-case letter (a, b, c…)');
      choices[key] = p.string(text, `${field}.choices.${key}`);
    }
    if (Object.keys(choices).length < 2) p.fail(`${field}.choices`, 'give at least two choices');
    const answer = p.string(q.answer, `${field}.answer`);
    if (!(answer in choices))
      p.fail(`${field}.answer`, `"${answer}" is not one of the choices; allowed: ${Object.keys(choices).join(', ')}`);
    return {
      id,
      question: p.string(q.question, `${field}.question`),
      choices,
      answer,
      hint: p.string(q.hint, `${field}.hint`),
      explain: p.string(q.explain, `${field}.explain`),
    };
  });
}

function parseObservations(raw: unknown, p: Problem): Observation[] {
  return p.array(raw, 'observations').map((item, i) => {
    const field = `observations[${i}]`;
    const o = p.object(item, field);
    p.keys(o, field, ['text', 'checks']);
    const checks = p.array(o.checks, `${field}.checks`).map((c, j) => {
      const cf = `${field}.checks[${j}]`;
      const check = p.object(c, cf);
      p.keys(check, cf, ['phase', 'signal', 'above', 'below']);
      const signal = p.string(check.signal, `${cf}.signal`);
      if (!(SIGNAL_IDS as readonly string[]).includes(signal))
        p.fail(`${cf}.signal`, `unknown signal "${signal}"; allowed: ${SIGNAL_IDS.join(', ')}`);
      const out: ObservationCheck = { phase: p.string(check.phase, `${cf}.phase`), signal: signal as SignalId };
      for (const bound of ['above', 'below'] as const) {
        if (check[bound] === undefined) continue;
        if (typeof check[bound] !== 'number' || !Number.isFinite(check[bound]))
          p.fail(`${cf}.${bound}`, `must be a number (report units: seconds, ratio or count), got ${JSON.stringify(check[bound])}`);
        out[bound] = check[bound];
      }
      if (out.above === undefined && out.below === undefined) p.fail(cf, 'give "above", "below" or both');
      return out;
    });
    if (checks.length === 0) p.fail(`${field}.checks`, 'give at least one check, so the text is checked against a real run');
    return { text: p.string(o.text, `${field}.text`), checks };
  });
}

/** Parses and validates one module file's text. Scenario phases are checked by {@link loadModules}. */
export function parseModule(file: string, text: string): WorkshopModule {
  const p = new Problem(file);
  const name = FILE_NAME.exec(basename(file));
  if (!name) return p.fail('file name', 'must be NN-<id>.md (two digits, then the module id)');
  const { yaml, body } = splitFrontMatter(text, p);
  let data: unknown;
  try {
    data = parse(yaml, { customTags: decimalNumbersOnly });
  } catch (error) {
    p.fail('front matter', `not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const fm = p.object(data, 'front matter');
  p.keys(fm, '', ['id', 'title', 'minutes', 'scenario', 'exercise', 'predict', 'observations']);
  const id = p.id(fm.id, 'id');
  if (id !== name[2]) p.fail('id', `"${id}" must match the file name's id "${name[2]}"`);
  const minutes = fm.minutes;
  if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 1 || minutes > 240)
    return p.fail('minutes', `must be an integer from 1 to 240, got ${JSON.stringify(minutes)}`);
  const module: WorkshopModule = {
    order: Number(name[1]),
    file,
    id,
    title: p.string(fm.title, 'title'),
    minutes,
    predict: parsePredict(fm.predict, p),
    observations: parseObservations(fm.observations, p),
    body,
  };
  if (fm.scenario !== undefined) {
    const scenario = p.id(fm.scenario, 'scenario');
    const names = catalogueNames();
    if (!names.includes(scenario)) p.fail('scenario', `no catalogue scenario "${scenario}"; allowed: ${names.join(', ')}`);
    module.scenario = scenario;
  }
  if (fm.exercise !== undefined) {
    const exercise = p.id(fm.exercise, 'exercise');
    if (!(EXERCISE_IDS as readonly string[]).includes(exercise))
      p.fail('exercise', `no exercise "${exercise}"; allowed: ${EXERCISE_IDS.join(', ')}`);
    module.exercise = exercise;
  }
  if (module.observations.length > 0 && !module.scenario)
    p.fail('observations', 'observations are checked against a run of the module\'s scenario: give "scenario"');
  checkSections(body, p);
  return module;
}

/** Every module in `dir`, validated (phases against the scenario's own), sorted by NN; ids unique. */
export async function loadModules(dir = MODULES_DIR): Promise<WorkshopModule[]> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort();
  const modules: WorkshopModule[] = [];
  const ids = new Map<string, string>();
  for (const f of files) {
    const file = join(dir, f);
    const module = parseModule(file, readFileSync(file, 'utf8'));
    const other = ids.get(module.id);
    if (other) throw new WorkshopError('LAB_WORKSHOP_MODULE', `${file}: id: "${module.id}" is already used by ${other}`);
    ids.set(module.id, file);
    if (module.scenario && module.observations.length) {
      const { scenario } = await loadScenario(module.scenario);
      const phases = scenario.phases.map((ph) => ph.name);
      for (const [i, o] of module.observations.entries()) {
        for (const [j, c] of o.checks.entries()) {
          if (!phases.includes(c.phase))
            new Problem(file).fail(
              `observations[${i}].checks[${j}].phase`,
              `scenario "${module.scenario}" has no phase "${c.phase}"; allowed: ${phases.join(', ')}`,
            );
        }
      }
    }
    modules.push(module);
  }
  return modules;
}

/** The module with this id, or a usage error listing the ids there are. */
export function findModule(modules: WorkshopModule[], id: string): WorkshopModule {
  const found = modules.find((m) => m.id === id);
  if (!found)
    throw new WorkshopError(
      'LAB_WORKSHOP_USAGE',
      `no module "${id}"; allowed: ${modules.map((m) => m.id).join(', ') || 'none (workshop/modules is empty)'}`,
    );
  return found;
}
