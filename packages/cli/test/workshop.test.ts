// An attendee plays through the workshop with the real `lab` command and real processes: a wrong
// prediction gets a hint, an unfixed exercise fails verify with a hint pointing at a signal and the
// reference fix passes, a mystery incident stays hidden from the lab's own views while it really
// acts, a wrong diagnosis fails and the right one passes, a mitigation is measured, the laptop
// check runs. Run it inside netns-run (it starts services and load on loopback).
import assert from 'node:assert/strict';
import { cpSync, copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Lab, lab, repoPath, startLabServices } from '@runtime-lab/test-kit';
import {
  API_ROUTE_NAMES,
  EXERCISES,
  EXERCISE_IDS,
  EXERCISE_SERVICE_DIR,
  MITIGATE_SECONDS,
  MYSTERY_TTL_SECONDS,
  readMystery,
} from '@runtime-lab/workshop';

const stateDir = mkdtempSync(join(tmpdir(), 'lab-workshop-state-'));
const env = { LAB_STATE_DIR: stateDir };
const run = (args: string[], timeoutMs = 90_000) => lab(['workshop', ...args], { env, timeoutMs });

test('lab workshop --help documents the subcommands and the exit codes; every subcommand has --help; a bad one exits 2', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  for (const sub of ['list', 'show', 'run', 'answer', 'verify', 'mystery', 'progress', 'reset', 'check']) {
    assert.match(help.stdout, new RegExp(`lab workshop ${sub}`));
    const one = await run([sub, '--help']);
    assert.equal(one.code, 0, sub);
    assert.match(one.stdout, new RegExp(`^lab workshop ${sub}`), sub);
  }
  assert.match(help.stdout, /Exit codes:\n\s+0 .*\n\s+1 .*wrong answer.*\n\s+2 /);
  // Defaults and ranges in the help are the ones the code applies.
  const mysteryHelp = (await run(['mystery', '--help'])).stdout;
  const { min, max, default: ttl } = MYSTERY_TTL_SECONDS;
  assert.match(mysteryHelp, new RegExp(`--ttl seconds \\(${min}–${max}, default ${ttl}\\)`));
  assert.match(
    mysteryHelp,
    new RegExp(`for N s \\(${MITIGATE_SECONDS.min}–${MITIGATE_SECONDS.max}, default ${MITIGATE_SECONDS.default}\\)`),
  );
  const bad = await run(['bogus']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown subcommand "bogus"; allowed: list, show, run/);
});

test('list and show print the modules for the terminal, without the front matter', async () => {
  const list = await run(['list']);
  assert.equal(list.code, 0);
  assert.match(list.stdout, /^02 {2}blocking +20 min {2}Blocking and the server-side blind spot/m);
  const show = await run(['show', 'blocking']);
  assert.equal(show.code, 0);
  assert.doesNotMatch(show.stdout, /^id: blocking$|^predict:|explain:/m);
  assert.match(show.stdout, /Goals\n-----/);
  assert.doesNotMatch(show.stdout, /Answer key|\*\*b\*\*/, 'the answer key is left out for attendees');
  assert.match(show.stdout, /Common misreadings\n-+/);
  const instructor = await run(['show', 'blocking', '--answers']);
  assert.match(instructor.stdout, /Answer key\n-+\n\n- `server-p99`: \*\*b\*\*/);
  assert.match(show.stdout, /\[server-p99\] While every \/api\/orders request/);
  assert.equal((await run(['show', 'nope'])).code, 2);
});

test('answer: a wrong choice prints the hint and never the answer (exit 1); the right one explains (exit 0); progress counts it', async () => {
  const wrong = await run(['answer', 'blocking', 'server-p99', 'a']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stdout, /Hint: Where does the server-side timer/);
  assert.doesNotMatch(wrong.stdout, /onRequest|\bb\)/);
  const right = await run(['answer', 'blocking', 'server-p99', 'b']);
  assert.equal(right.code, 0);
  assert.match(right.stdout, /^right\. The server's timer starts in onRequest/);
  const invalid = await run(['answer', 'blocking', 'server-p99', 'z']);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /no choice "z"; allowed: a, b, c/);
  const progress = await run(['progress']);
  assert.match(progress.stdout, /blocking +1\/2/);
});

describe("exercises: the attendee's unfixed file fails verify with a hint, the reference fix passes", () => {
  for (const id of EXERCISE_IDS) {
    test(id, async () => {
      const routes = mkdtempSync(join(tmpdir(), `lab-workshop-${id}-`));
      cpSync(join(EXERCISE_SERVICE_DIR, 'routes'), routes, { recursive: true });
      const unfixed = await run(['verify', id, '--dir', routes]);
      assert.equal(unfixed.code, 1, unfixed.stdout + unfixed.stderr);
      assert.match(unfixed.stdout, /\n\s+FAIL\s/);
      assert.match(unfixed.stdout, /\nFAIL: /);
      assert.match(unfixed.stdout, /\nhint: .*(event loop|P99)/);
      const file = EXERCISES[id].file;
      copyFileSync(repoPath('workshop/solutions', file), join(routes, file));
      const fixed = await run(['verify', id, '--dir', routes]);
      assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
      assert.match(fixed.stdout, /\nPASS: /);
      assert.doesNotMatch(fixed.stdout, /\n\s+FAIL\s/);
    });
  }

  test('a change of behaviour fails verify even when the signals would be fine', async () => {
    const routes = mkdtempSync(join(tmpdir(), 'lab-workshop-behaviour-'));
    cpSync(join(EXERCISE_SERVICE_DIR, 'routes'), routes, { recursive: true });
    // A "fix" that answers without checking the password.
    writeFileSync(join(routes, 'login.mjs'), "export default async function (app) { app.post('/login', async () => ({ ok: true })); }\n");
    const result = await run(['verify', 'login-hash', '--dir', routes]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /FAIL {2}POST \/login \{"user":"ada","password":"wrong"\} → 200 \{"ok":true\}; expected 401/);
    assert.match(result.stdout, /hint: The route must answer exactly as before/);
  });

  test('file-read: reading the whole log with fs/promises still fails (decoding and splitting it run on the loop)', async () => {
    const routes = mkdtempSync(join(tmpdir(), 'lab-workshop-file-read-async-'));
    cpSync(join(EXERCISE_SERVICE_DIR, 'routes'), routes, { recursive: true });
    const planted = readFileSync(join(routes, 'activity.mjs'), 'utf8');
    const asyncWhole = planted
      .replace("import { readFileSync } from 'node:fs';", "import { readFile } from 'node:fs/promises';")
      .replace("readFileSync(activityLog, 'utf8')", "(await readFile(activityLog, 'utf8'))");
    assert.doesNotMatch(asyncWhole, /readFileSync/, 'the planted file still has the shape this test rewrites');
    writeFileSync(join(routes, 'activity.mjs'), asyncWhole);
    const result = await run(['verify', 'file-read', '--dir', routes]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /pass {2}GET \/activity\?lines=2 → 200 as before/, 'same answers: only the signals fail');
    assert.match(result.stdout, /FAIL {2}event-loop delay p99/);
  });

  test('file-read: a log read once at start-up answers stale lines and fails the behaviour check', async () => {
    const routes = mkdtempSync(join(tmpdir(), 'lab-workshop-file-read-cache-'));
    cpSync(join(EXERCISE_SERVICE_DIR, 'routes'), routes, { recursive: true });
    writeFileSync(
      join(routes, 'activity.mjs'),
      [
        "import { readFileSync } from 'node:fs';",
        'export default async function (app, { activityLog }) {',
        "  const lines = readFileSync(activityLog, 'utf8').trimEnd().split('\\n');",
        "  app.get('/activity', async (request) => ({ lines: lines.slice(-(Number(request.query.lines) || 20)) }));",
        '}',
        '',
      ].join('\n'),
    );
    const result = await run(['verify', 'file-read', '--dir', routes]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /FAIL {2}GET \/activity\?lines=2 → 200 .*; expected 200/);
    assert.match(result.stdout, /hint: The route must answer exactly as before/);
  });
});

/** Whether `pid` is gone (or a zombie nobody reaped yet) within `timeoutMs`. */
async function exited(pid: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const stat = `/proc/${pid}/stat`;
    if (!existsSync(stat) || /^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('mystery incident on a running api', () => {
  let services: Lab;
  let api: string;
  before(async () => {
    services = await startLabServices();
    api = services.api.url;
  });
  after(async () => {
    await run(['reset']);
    await services.stop();
  });

  test('hidden while it runs, really on, a wrong diagnosis fails with a hint, the right one passes, the mitigation is measured, reveal ends it', async () => {
    const start = await run(['mystery', 'start', '--api', api, '--seed', '7', '--kind', 'blocking', '--ttl', '120']);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /incident 1 is on for 120 s \(seed 7\)/);
    assert.doesNotMatch(start.stdout.split('\n')[0] as string, /blocking|orders|report|config|durationMs/, 'the start line names nothing');
    const state = readMystery(stateDir);
    assert.ok(state?.trafficPid, 'background traffic started');
    const draw = JSON.parse(Buffer.from(state.sealed, 'base64').toString()) as {
      kind: string;
      routes: string[];
      params: { durationMs: number };
    };
    assert.equal(draw.kind, 'blocking');

    // The route table the draws and the traffic use is the api's: every route answers.
    for (const name of API_ROUTE_NAMES) {
      const method = name === 'report' || name === 'checkout' ? 'POST' : 'GET';
      const response = await fetch(`${api}/api/${name}`, {
        method,
        ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
      });
      await response.arrayBuffer();
      assert.notEqual(response.status, 404, `/api/${name}`);
    }
    // Hidden from the lab's own views…
    const list = await lab(['fault', 'list', '--api', api]);
    assert.equal(list.code, 0);
    assert.doesNotMatch(list.stdout, /^ON /m);
    const faults = (await (await fetch(`${api}/admin/faults`)).json()) as { faults: { name: string; active: boolean; params: unknown }[] };
    assert.deepEqual(
      faults.faults.filter((f) => f.active),
      [],
    );
    assert.equal(((await (await fetch(`${api}/admin/faults/blocking`)).json()) as { active: boolean }).active, false);
    const metrics = await (await fetch(services.api.metricsUrl)).text();
    assert.match(metrics, /lab_fault_active\{fault="mystery",kind="fault"\} 1/);
    assert.doesNotMatch(metrics, /lab_fault_active\{fault="blocking",kind="fault"\} 1/);
    assert.doesNotMatch(metrics, /lab_fault_parameter\{fault="blocking"/);
    // …but really on: the drawn route takes at least the drawn duration.
    const route = draw.routes[0] as string;
    const method = route === 'report' ? 'POST' : 'GET';
    const t0 = performance.now();
    await (
      await fetch(`${api}/api/${route}`, {
        method,
        ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
      })
    ).arrayBuffer();
    assert.ok(performance.now() - t0 >= draw.params.durationMs * 0.9, `GET /api/${route} took ${performance.now() - t0} ms`);

    const wrongKind = await run(['mystery', 'diagnose', 'executor-saturation', 'report']);
    assert.equal(wrongKind.code, 1);
    assert.match(wrongKind.stdout, /not it\. Hint: not executor-saturation: .*runtime_pool_queue_size/);
    const otherRoute = ['orders', 'report', 'config'].find((r) => r !== route) as string;
    const wrongRoute = await run(['mystery', 'diagnose', 'blocking', otherRoute]);
    assert.equal(wrongRoute.code, 1);
    assert.match(wrongRoute.stdout, /the kind is right, the route is not/);
    const bad = await run(['mystery', 'diagnose', 'slow', route]);
    assert.equal(bad.code, 2);
    const right = await run(['mystery', 'diagnose', 'blocking', `/api/${route}`]);
    assert.equal(right.code, 0, right.stdout);
    assert.match(right.stdout, /^right: blocking on \/api\//);

    const mitigate = await run(['mystery', 'mitigate', 'offload', '--seconds', '4']);
    assert.match(mitigate.stdout, /client P99 of \/api\/ping \(open loop\) \d+ ms before, \d+ ms after/);
    assert.equal(mitigate.code, 0, `offload should at least halve /api/ping's P99 under a blocking fault: ${mitigate.stdout}`);

    const reveal = await run(['mystery', 'reveal']);
    assert.equal(reveal.code, 0);
    assert.match(
      reveal.stdout,
      new RegExp(`it was: blocking on /api/${route} with .*"durationMs":${draw.params.durationMs}.*\\(seed 7\\)`),
    );
    assert.deepEqual(((await (await fetch(`${api}/admin/mystery`)).json()) as { active: boolean }).active, false);
    assert.equal(
      ((await (await fetch(`${api}/admin/faults/offload`)).json()) as { active: boolean }).active,
      false,
      'the mitigation ends with the incident',
    );
    assert.equal(readMystery(stateDir), undefined);
    assert.ok(await exited(state.trafficPid), 'the traffic process stopped');
    assert.equal((await run(['mystery', 'diagnose', 'blocking', route])).code, 2, 'no incident running: usage error');
    // An incident switched off by someone else (lab run, lab fault clear) is reported, not judged.
    assert.equal((await run(['mystery', 'start', '--api', api, '--seed', '8', '--no-traffic', '--ttl', '60'])).code, 0);
    assert.equal((await lab(['fault', 'clear', '--api', api])).code, 0);
    const gone = await run(['mystery', 'diagnose', 'blocking', route]);
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /the incident is no longer on: it expired, or every fault was switched off/);
    const progress = await run(['progress']);
    assert.match(progress.stdout, /mystery incidents: 2 started, 1 diagnosed, 1 mitigated/);
  });
});

test('check: a checklist of OK/WARN/FAIL lines for Node, build, ports, Docker, Prometheus and disk; exit 1 exactly when something FAILs', async () => {
  const result = await run(['check']);
  const lines = result.stdout.split('\n').filter((l) => /^(OK|WARN|FAIL)\s/.test(l));
  for (const name of [
    'Node.js',
    'build',
    'port 8080 \\(api\\)',
    'port 9464',
    'port 9090 \\(Prometheus\\)',
    'Docker',
    'Prometheus',
    'disk',
  ]) {
    assert.ok(
      lines.some((l) => new RegExp(`^\\w+\\s+${name}`).test(l)),
      `${name} missing in:\n${result.stdout}`,
    );
  }
  const failed = lines.some((l) => l.startsWith('FAIL'));
  assert.equal(result.code, failed ? 1 : 0);
  const node = Number(process.versions.node.split('.')[0]);
  assert.ok(lines.some((l) => l.startsWith([22, 24, 26].includes(node) ? 'OK    Node.js' : node < 22 ? 'FAIL  Node.js' : 'WARN  Node.js')));
  const moved = await lab(['workshop', 'check'], { env: { ...env, API_PORT: '18080' } });
  assert.match(moved.stdout, /port 18080 \(api\)/);
  const invalid = await lab(['workshop', 'check'], { env: { ...env, API_PORT: 'eighty' } });
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /API_PORT=eighty is not a port; allowed: 1-65535/);
  // A port held by another program: the WARN names the variables that really move it.
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const held = (holder.address() as AddressInfo).port;
  try {
    const busy = await lab(['workshop', 'check'], { env: { ...env, LAB_RUNNER_METRICS_PORT: String(held) } });
    const line = busy.stdout.split('\n').find((l) => l.includes(`port ${held} (runner metrics)`)) ?? busy.stdout;
    assert.match(line, /^WARN .*export LAB_RUNNER_METRICS_PORT=<free port>.*lab run.*export RUNNER_METRICS_PORT=<free port>/);
  } finally {
    holder.close();
  }
});
