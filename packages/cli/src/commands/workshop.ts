// `lab workshop …`: the workshop from the terminal. The decisions (module validation, verify,
// mystery, laptop check) are in @runtime-lab/workshop; this file parses and prints.
import { join } from 'node:path';
import { readReport } from '@runtime-lab/scenarios';
import {
  API_ROUTE_NAMES,
  type CheckItem,
  DEFAULT_ROUTES_DIR,
  EXERCISE_IDS,
  MITIGATE_SECONDS,
  MYSTERY_KINDS,
  MYSTERY_TTL_SECONDS,
  type MysteryKind,
  type WorkshopModule,
  checkObservations,
  clearProgress,
  describeDraw,
  diagnoseMystery,
  endMystery,
  findModule,
  laptopCheck,
  loadModules,
  mitigateMystery,
  readMystery,
  readProgress,
  revealMystery,
  startMystery,
  updateProgress,
  verifyExercise,
} from '@runtime-lab/workshop';
import { parseArgs, stringOption } from '../args.js';
import { CliError } from '../errors.js';
import { API_ENTRY, DOWNSTREAM_ENTRY, LAB_DIR, REPO_ROOT, REPORTS_DIR } from '../paths.js';
import { DEFAULT_PORTS, PORT_ENV, prometheusPort, urlsFor } from '../services.js';
import { run as labRun } from './run.js';
import { WORKSHOP_HELP } from './workshop-help.js';

type Sub = (argv: string[]) => Promise<number>;

function usage(message: string): never {
  throw new CliError('LAB_CLI_USAGE', message);
}

function exactly(positionals: string[], count: number, shape: string): string[] {
  if (positionals.length !== count) usage(`${shape}: expected ${count} argument(s), got ${positionals.length}`);
  return positionals;
}

/** Markdown for a terminal: headings underlined, code fences dropped, the rest as written. */
function forTerminal(body: string): string {
  return body
    .split('\n')
    .filter((line) => !line.startsWith('```'))
    .map((line) => {
      const heading = /^(#{1,3}) +(.*)$/.exec(line);
      if (!heading) return line;
      const text = heading[2] as string;
      return `${text}\n${(heading[1] === '#' ? '=' : '-').repeat(text.length)}`;
    })
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function rightAnswers(module: WorkshopModule, stateDir: string): number {
  const answers = readProgress(stateDir).answers;
  return module.predict.filter((q) => answers[`${module.id}/${q.id}`]?.correct).length;
}

const list: Sub = async (argv) => {
  exactly(parseArgs(argv, {}, 'list').positionals, 0, 'list');
  const modules = await loadModules();
  for (const m of modules) {
    const extra = [m.scenario && `scenario ${m.scenario}`, m.exercise && `exercise ${m.exercise}`].filter(Boolean).join(', ');
    const done = m.predict.length ? `  [${rightAnswers(m, LAB_DIR)}/${m.predict.length} answered]` : '';
    console.log(
      `${String(m.order).padStart(2, '0')}  ${m.id.padEnd(22)} ${String(m.minutes).padStart(3)} min  ${m.title}${extra ? ` (${extra})` : ''}${done}`,
    );
  }
  if (modules.length === 0) console.log('no modules yet in workshop/modules');
  return 0;
};

/** The body without its "## Answer key" section (up to the next "## "). */
function withoutAnswerKey(body: string): string {
  return body.replace(/^## +Answer key[^\n]*\n[\s\S]*?(?=^## )/m, '');
}

const show: Sub = async (argv) => {
  const parsed = parseArgs(argv, { answers: { value: false } }, 'show');
  const [id] = exactly(parsed.positionals, 1, 'show <module>');
  const module = findModule(await loadModules(), id as string);
  const body = parsed.options.answers ? module.body : withoutAnswerKey(module.body);
  const heading = /^# /m.test(body) ? '' : `${module.title}\n${'='.repeat(module.title.length)}\n`;
  console.log(
    `${heading}module ${module.order} · ${module.id} · ${module.minutes} min${module.scenario ? ` · scenario ${module.scenario}` : ''}${module.exercise ? ` · exercise ${module.exercise}` : ''}\n`,
  );
  console.log(forTerminal(body));
  if (!parsed.options.answers) console.log(`\n(The answer key is left out; instructors: lab workshop show ${module.id} --answers)`);
  if (module.predict.length) {
    console.log(`\nQuestions (answer with: lab workshop answer ${module.id} <question> <choice>)`);
    for (const q of module.predict) {
      console.log(`\n  [${q.id}] ${q.question}`);
      for (const [key, text] of Object.entries(q.choices)) console.log(`    ${key}) ${text}`);
    }
  }
  return 0;
};

const RUN_PASSTHROUGH = {
  compose: { value: false },
  out: { value: true },
  api: { value: true },
  metrics: { value: true },
  'runner-port': { value: true },
  'no-start': { value: false },
} as const;

const runModule: Sub = async (argv) => {
  const parsed = parseArgs(argv, RUN_PASSTHROUGH, 'run');
  const [id] = exactly(parsed.positionals, 1, 'run <module>');
  const module = findModule(await loadModules(), id as string);
  if (!module.scenario)
    usage(
      `run: module "${module.id}" has no scenario to run${module.exercise ? `; its exercise: lab workshop verify ${module.exercise}` : ''}`,
    );
  if (parsed.options.compose) {
    console.log(`docker compose run --rm lab run ${module.scenario} --quick`);
    return 0;
  }
  const out =
    stringOption(parsed, 'out') ??
    // UTC, marked with Z like lab run's own report folders.
    join(REPORTS_DIR, `${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}Z-workshop-${module.id}`);
  const passthrough = ['--quick', '--out', out];
  for (const name of ['api', 'metrics', 'runner-port'] as const) {
    const value = stringOption(parsed, name);
    if (value) passthrough.push(`--${name}`, value);
  }
  if (parsed.options['no-start']) passthrough.push('--no-start');
  const code = await labRun([module.scenario, ...passthrough]);
  if (module.observations.length) {
    const report = readReport(join(out, 'report.json'));
    const results = checkObservations(module, report);
    if (report.verdict === 'inconclusive') {
      console.log('\nThis run was inconclusive: the runner fell behind its own schedule, so its figures are no evidence');
      console.log('either way. The observations below are for reading only; run the module again (a quieter laptop helps).');
    }
    console.log(`\nThe module's expected observations, against this run:`);
    for (const r of results) {
      const bound = [r.check.above !== undefined && `above ${r.check.above}`, r.check.below !== undefined && `below ${r.check.below}`]
        .filter(Boolean)
        .join(' and ');
      console.log(
        `  ${r.passed ? 'as expected' : 'DIFFERENT  '}  ${r.check.phase}: ${r.check.signal} ${bound}: observed ${r.observed ?? 'n/a'}`,
      );
    }
    if (results.some((r) => !r.passed))
      console.log('  (a difference is worth a look: a busy laptop, another program on the ports, or a misreading to discuss)');
  }
  return code;
};

const answer: Sub = async (argv) => {
  const [id, questionId, choice] = exactly(parseArgs(argv, {}, 'answer').positionals, 3, 'answer <module> <question> <choice>') as [
    string,
    string,
    string,
  ];
  const module = findModule(await loadModules(), id);
  const question = module.predict.find((q) => q.id === questionId);
  if (!question)
    usage(`module "${module.id}" has no question "${questionId}"; allowed: ${module.predict.map((q) => q.id).join(', ') || 'none'}`);
  if (!(choice in question.choices))
    usage(`question "${questionId}" has no choice "${choice}"; allowed: ${Object.keys(question.choices).join(', ')}`);
  const correct = choice === question.answer;
  updateProgress(LAB_DIR, (p) => {
    const key = `${module.id}/${question.id}`;
    const previous = p.answers[key];
    p.answers[key] = { correct: correct || previous?.correct === true, attempts: (previous?.attempts ?? 0) + 1 };
  });
  if (correct) {
    console.log(`right. ${question.explain}`);
    return 0;
  }
  console.log(`not quite. Hint: ${question.hint}`);
  return 1;
};

const verify: Sub = async (argv) => {
  const parsed = parseArgs(argv, { dir: { value: true } }, 'verify');
  const [exercise] = exactly(parsed.positionals, 1, `verify <exercise> (one of ${EXERCISE_IDS.join(', ')})`);
  const result = await verifyExercise(exercise as string, stringOption(parsed, 'dir') ?? DEFAULT_ROUTES_DIR, (line) => console.log(line));
  for (const line of result.lines) console.log(`  ${line.passed === null ? 'info' : line.passed ? 'pass' : 'FAIL'}  ${line.text}`);
  console.log(`\n${result.passed ? 'PASS' : 'FAIL'}: ${result.exercise}`);
  if (result.hint) console.log(`hint: ${result.hint}`);
  updateProgress(LAB_DIR, (p) => {
    p.exercises[result.exercise] = { passed: result.passed, at: new Date().toISOString() };
  });
  return result.passed ? 0 : 1;
};

const MYSTERY_OPTIONS = {
  seed: { value: true },
  ttl: { value: true },
  api: { value: true },
  kind: { value: true },
  'no-traffic': { value: false },
  seconds: { value: true },
} as const;

function integerOption(raw: string | undefined, name: string, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) usage(`--${name} ${raw}: allowed: an integer from ${min} to ${max}`);
  return value;
}

const mystery: Sub = async (argv) => {
  const parsed = parseArgs(argv, MYSTERY_OPTIONS, 'mystery');
  const [action, ...args] = parsed.positionals;
  if (action === 'start') {
    exactly(args, 0, 'mystery start');
    const kind = stringOption(parsed, 'kind');
    if (kind !== undefined && !(MYSTERY_KINDS as readonly string[]).includes(kind))
      usage(`--kind ${kind}: allowed: ${MYSTERY_KINDS.join(', ')}`);
    const seed = integerOption(stringOption(parsed, 'seed'), 'seed', 0, 2 ** 31 - 1);
    const ttlSeconds = integerOption(stringOption(parsed, 'ttl'), 'ttl', MYSTERY_TTL_SECONDS.min, MYSTERY_TTL_SECONDS.max);
    const started = await startMystery({
      apiUrl: stringOption(parsed, 'api') ?? process.env.LAB_API_URL ?? urlsFor(DEFAULT_PORTS).apiUrl,
      stateDir: LAB_DIR,
      ...(seed === undefined ? {} : { seed }),
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
      ...(kind === undefined ? {} : { kind: kind as MysteryKind }),
      traffic: parsed.options['no-traffic'] !== true,
    });
    console.log(`incident ${started.number} is on for ${started.ttlSeconds} s (seed ${started.seed}), with traffic on every route.`);
    console.log("Investigate with lab audit, the dashboards, the api's /metrics and requests of your own (not lab run:");
    console.log('a run switches every fault off first, this one included); then:');
    console.log(
      `  lab workshop mystery diagnose <kind> <route>   kinds: ${MYSTERY_KINDS.join(', ')}; routes: ${API_ROUTE_NAMES.join(', ')}`,
    );
    return 0;
  }
  if (action === 'diagnose') {
    const [kind, route] = exactly(args, 2, 'mystery diagnose <kind> <route>') as [string, string];
    const check = await diagnoseMystery(LAB_DIR, kind, route);
    console.log(check.correct ? check.message : `not it. Hint: ${check.message}`);
    return check.correct ? 0 : 1;
  }
  if (action === 'mitigate') {
    const [mitigation] = exactly(args, 1, 'mystery mitigate <mitigation>') as [string];
    const seconds = integerOption(stringOption(parsed, 'seconds'), 'seconds', MITIGATE_SECONDS.min, MITIGATE_SECONDS.max);
    console.log(`measuring before and after ${mitigation}…`);
    const check = await mitigateMystery(LAB_DIR, mitigation, seconds);
    console.log(check.message);
    return check.correct ? 0 : 1;
  }
  if (action === 'reveal') {
    exactly(args, 0, 'mystery reveal');
    const { draw } = await revealMystery(LAB_DIR);
    console.log(`it was: ${describeDraw(draw)}. Switched off.`);
    return 0;
  }
  return usage(`mystery: unknown action "${action ?? ''}"; allowed: start, diagnose <kind> <route>, mitigate <mitigation>, reveal`);
};

const progress: Sub = async (argv) => {
  exactly(parseArgs(argv, {}, 'progress').positionals, 0, 'progress');
  const modules = await loadModules();
  const p = readProgress(LAB_DIR);
  console.log('modules (questions answered right):');
  for (const m of modules) if (m.predict.length) console.log(`  ${m.id.padEnd(22)} ${rightAnswers(m, LAB_DIR)}/${m.predict.length}`);
  console.log('exercises:');
  for (const id of EXERCISE_IDS)
    console.log(
      `  ${id.padEnd(22)} ${p.exercises[id] ? (p.exercises[id].passed ? 'passed' : 'not yet (last verify failed)') : 'not verified'}`,
    );
  console.log(
    `mystery incidents: ${p.incidents.length} started, ${p.incidents.filter((i) => i.diagnosed).length} diagnosed, ${p.incidents.filter((i) => i.mitigated).length} mitigated`,
  );
  if (readMystery(LAB_DIR)) console.log('  one is running now');
  return 0;
};

const reset: Sub = async (argv) => {
  exactly(parseArgs(argv, {}, 'reset').positionals, 0, 'reset');
  await endMystery(LAB_DIR, 'reset');
  clearProgress(LAB_DIR);
  console.log(`progress cleared (${LAB_DIR}); no mystery incident running`);
  return 0;
};

const check: Sub = async (argv) => {
  exactly(parseArgs(argv, {}, 'check').positionals, 0, 'check');
  const urls = urlsFor(DEFAULT_PORTS);
  const runnerPort = Number(process.env.LAB_RUNNER_METRICS_PORT || 9466);
  const ports = [
    { name: 'api', port: DEFAULT_PORTS.apiPort, env: PORT_ENV.apiPort, labUrl: `${urls.apiUrl}/health` },
    {
      name: 'api metrics',
      port: DEFAULT_PORTS.apiMetricsPort,
      env: PORT_ENV.apiMetricsPort,
      labUrl: urls.metricsUrl.replace(/\/metrics$/, '/healthz'),
    },
    { name: 'downstream', port: DEFAULT_PORTS.downstreamPort, env: PORT_ENV.downstreamPort, labUrl: `${urls.downstreamUrl}/health` },
    {
      name: 'downstream metrics',
      port: DEFAULT_PORTS.downstreamMetricsPort,
      env: PORT_ENV.downstreamMetricsPort,
      labUrl: urls.downstreamMetricsUrl.replace(/\/metrics$/, '/healthz'),
    },
    // Natively the runner listens on LAB_RUNNER_METRICS_PORT; compose publishes it on RUNNER_METRICS_PORT.
    {
      name: 'runner metrics',
      port: runnerPort,
      env: 'LAB_RUNNER_METRICS_PORT',
      followedBy: 'lab run and lab workshop run follow it, or give --runner-port N',
      composeEnv: 'RUNNER_METRICS_PORT',
    },
    { name: 'Prometheus', port: prometheusPort(), env: 'PROMETHEUS_PORT', labUrl: `http://127.0.0.1:${prometheusPort()}/-/ready` },
    {
      name: 'Grafana (compose)',
      port: Number(process.env.GRAFANA_PORT || 3000),
      env: 'GRAFANA_PORT',
      followedBy: 'docker compose follows it; the native lab runs no Grafana',
      labUrl: `http://127.0.0.1:${process.env.GRAFANA_PORT || 3000}/api/health`,
    },
  ];
  const items: CheckItem[] = await laptopCheck({ repoRoot: REPO_ROOT, ports, builtFiles: [API_ENTRY, DOWNSTREAM_ENTRY] });
  for (const item of items) console.log(`${item.status.padEnd(4)}  ${item.name}: ${item.detail}`);
  const failed = items.filter((i) => i.status === 'FAIL').length;
  console.log(failed ? `\n${failed} item(s) to fix before the workshop` : '\nready for the workshop');
  return failed ? 1 : 0;
};

const SUBCOMMANDS: Record<string, Sub> = { list, show, run: runModule, answer, verify, mystery, progress, reset, check };

export async function workshop(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    console.log(WORKSHOP_HELP['']);
    return sub ? 0 : 2;
  }
  const handler = SUBCOMMANDS[sub];
  if (!handler) usage(`unknown subcommand "${sub}"; allowed: ${Object.keys(SUBCOMMANDS).join(', ')}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(WORKSHOP_HELP[sub]);
    return 0;
  }
  return handler(rest);
}
