// `lab workshop verify <exercise>`: starts the attendee's CURRENT routes as a real process
// (node exercise-service/server.mjs with EXERCISE_ROUTES_DIR), checks that the answers did not
// change, runs bounded open-loop load on loopback, judges the runtime signals, stops everything.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { pathToFileURL } from 'node:url';
import { WorkshopError } from '../errors.js';
import { EXERCISE_SERVICE_DIR } from '../paths.js';
import { type BehaviourCase, EXERCISE_IDS, type Fixtures, type JudgedLine, type Prepared, exerciseById } from './catalogue.js';
import { type Dependency, startDependency } from './dependency.js';
import { measureUnderLoad } from './measure.js';

export const DEFAULT_ROUTES_DIR = join(EXERCISE_SERVICE_DIR, 'routes');

export interface VerifyResult {
  exercise: string;
  passed: boolean;
  /** Checks in order: behaviour first, then signals (passed null: a figure for reading, not judged). */
  lines: JudgedLine[];
  hint?: string;
}

interface Running {
  child: ChildProcess;
  url: string;
  metricsUrl: string;
}

function startService(routesDir: string, dependencyUrl: string, extraEnv: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [join(EXERCISE_SERVICE_DIR, 'server.mjs')], {
    cwd: EXERCISE_SERVICE_DIR,
    env: {
      ...process.env,
      ...extraEnv,
      PORT: '0',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      EXERCISE_ROUTES_DIR: routesDir,
      DEPENDENCY_URL: dependencyUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => fail(`did not start within 30 s`), 30_000);
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new ServiceStartError(`${why}${stderr.trim() ? `:\n${stderr.trim().split('\n').slice(0, 12).join('\n')}` : ''}`));
    };
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.includes('"event":"listening"'));
      if (!line) return;
      clearTimeout(timer);
      const info = JSON.parse(line) as { url: string; metricsUrl: string };
      resolvePromise({ child, url: info.url, metricsUrl: info.metricsUrl });
    });
    child.once('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before listening`));
  });
}

class ServiceStartError extends Error {}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

async function checkBehaviour(cases: BehaviourCase[], url: string): Promise<{ passed: boolean; text: string }[]> {
  const lines: { passed: boolean; text: string }[] = [];
  for (const c of cases) {
    c.before?.();
    const what = `${c.method} ${c.path}${c.body === undefined ? '' : ` ${JSON.stringify(c.body)}`}`;
    try {
      const response = await fetch(new URL(c.path, url), {
        method: c.method,
        ...(c.body === undefined ? {} : { body: JSON.stringify(c.body), headers: { 'content-type': 'application/json' } }),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      let json: unknown = text;
      try {
        json = JSON.parse(text);
      } catch {
        // not JSON: compared as text, and will differ
      }
      const same = response.status === c.status && isDeepStrictEqual(json, c.json);
      lines.push({
        passed: same,
        text: same
          ? `${what} → ${c.status} as before`
          : `${what} → ${response.status} ${text.slice(0, 200)}; expected ${c.status} ${JSON.stringify(c.json)}`,
      });
    } catch (error) {
      lines.push({ passed: false, text: `${what} → no answer (${error instanceof Error ? error.message : String(error)})` });
    }
  }
  return lines;
}

/**
 * Verifies one exercise against the routes in `routesDir` (default: the attendee's
 * workshop/exercise-service/routes). Resolves with the verdict; rejects with a WorkshopError only
 * when the check itself cannot run (unknown exercise, missing file).
 */
export async function verifyExercise(
  id: string,
  routesDir = DEFAULT_ROUTES_DIR,
  log: (line: string) => void = () => undefined,
): Promise<VerifyResult> {
  const exercise = exerciseById(id);
  if (!exercise) throw new WorkshopError('LAB_WORKSHOP_USAGE', `no exercise "${id}"; allowed: ${EXERCISE_IDS.join(', ')}`);
  const dir = resolve(routesDir);
  if (!existsSync(join(dir, exercise.file)))
    throw new WorkshopError(
      'LAB_WORKSHOP_USAGE',
      `${join(dir, exercise.file)} does not exist; --dir must be a folder holding the exercise service's route files`,
    );
  const fixtures = (await import(pathToFileURL(join(EXERCISE_SERVICE_DIR, 'fixtures.mjs')).href)) as Fixtures;
  let workDir: string | undefined;
  let dependency: Dependency | undefined;
  let service: Running | undefined;
  try {
    let prepared: Prepared | undefined;
    if (exercise.prepare) {
      workDir = mkdtempSync(join(tmpdir(), `lab-workshop-${id}-files-`));
      prepared = exercise.prepare(fixtures, workDir);
    }
    const calibration = exercise.calibrate(fixtures, prepared?.files ?? {});
    dependency = await startDependency();
    log(`starting the exercise service with ${join(dir, exercise.file)}…`);
    try {
      service = await startService(dir, dependency.url, prepared?.env ?? {});
    } catch (error) {
      if (!(error instanceof ServiceStartError)) throw error;
      return {
        exercise: id,
        passed: false,
        lines: [{ passed: false, text: `the service did not start: ${error.message}` }],
        hint: 'Run `node workshop/exercise-service/server.mjs` to see the error in full.',
      };
    }
    const behaviour = await checkBehaviour(prepared?.behaviour ?? exercise.behaviour, service.url);
    if (behaviour.some((l) => !l.passed)) {
      return {
        exercise: id,
        passed: false,
        lines: behaviour,
        hint: 'The route must answer exactly as before the change: same status, same body.',
      };
    }
    const plan = exercise.load(calibration);
    if (exercise.needsDependency) dependency.setSlow(true);
    log(`load: ${plan.method} ${plan.path} at ${plan.ratePerSecond}/s for ${plan.durationSeconds} s (open loop), /ping probe beside it…`);
    const measurement = await measureUnderLoad(service.url, service.metricsUrl, plan, dependency.calls);
    const judgement = exercise.judge(measurement, calibration);
    const lines = [...behaviour, ...judgement.lines];
    const passed = lines.every((l) => l.passed !== false);
    return { exercise: id, passed, lines, ...(passed ? {} : { hint: judgement.hint }) };
  } finally {
    if (service) await stop(service.child);
    await dependency?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }
}
