#!/usr/bin/env node
// Prints the peak resident memory (VmHWM) of each process the compose stack runs, measured
// natively on Linux while every quick scenario runs, plus two worst cases a learner can toggle
// by hand (json blocking on every request, both worker pools at their 16-thread maximum).
// The compose file's mem_limit values are chosen from these figures with headroom; Grafana
// cannot run here and is not measured.
// Usage: node grafana/bench/memory-peaks.mjs   (after pnpm build; needs Debian's prometheus)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'packages/cli/dist/src/bin.js');
const tmp = mkdtempSync(join(tmpdir(), 'lab-memory-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function hwmMiB(pid) {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function start(entry, env) {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${entry} exited ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes('"listening"')) resolve({ child, ...JSON.parse(line) });
    });
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const lab = (args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

const downstream = await start(join(root, 'services/downstream/dist/src/server.js'), {});
const api = await start(join(root, 'services/api/dist/src/server.js'), { DOWNSTREAM_URL: downstream.url });
const runnerPort = await freePort();
const prometheusPort = await freePort();
const cli = await import(pathToFileURL(join(root, 'packages/cli/dist/src/index.js')).href);
const prometheus = cli.startPrometheus({
  portMap: {
    9464: Number(new URL(api.metricsUrl).port),
    9465: Number(new URL(downstream.metricsUrl).port),
    9466: runnerPort,
    9090: prometheusPort,
  },
  outDir: tmp,
  listen: `127.0.0.1:${prometheusPort}`,
  dataDir: join(tmp, 'data'),
});
await cli.waitForPrometheus(prometheus.url, 30_000);

let runnerPeak = 0;
const names = lab(['list'])
  .stdout.split('\n')
  .map((l) => l.split(/\s+/)[0])
  .filter(Boolean);
for (const name of names) {
  const child = spawn(
    process.execPath,
    [
      bin,
      'run',
      name,
      '--quick',
      '--no-start',
      '--api',
      api.url,
      '--metrics',
      api.metricsUrl,
      '--runner-port',
      String(runnerPort),
      '--out',
      join(tmp, name),
    ],
    {
      stdio: 'ignore',
      env: { ...process.env, CI: 'true' },
    },
  );
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, hwmMiB(child.pid));
  }, 100);
  const code = await new Promise((r) => child.once('exit', r));
  clearInterval(timer);
  runnerPeak = Math.max(runnerPeak, peak);
  console.log(
    `lab run ${name} --quick: exit ${code}, runner peak ${peak.toFixed(0)} MiB, api so far ${hwmMiB(api.child.pid).toFixed(0)} MiB`,
  );
}

// Worst cases by hand: huge JSON on every /api/orders, and both pools at 16 threads busy.
const admin = ['--api', api.url];
lab(['fault', 'set', 'blocking', 'mode=json', 'durationMs=2000', 'fraction=1', 'routes=orders', ...admin]);
await Promise.all(Array.from({ length: 4 }, () => fetch(`${api.url}/api/orders`).then((r) => r.arrayBuffer())));
lab(['fault', 'clear', ...admin]);
console.log(`after json blocking x4: api ${hwmMiB(api.child.pid).toFixed(0)} MiB`);
lab(['fault', 'set', 'executor-saturation', 'threads=16', 'taskMs=500', ...admin]);
lab(['fault', 'set', 'offload', 'threads=16', ...admin]);
lab(['fault', 'set', 'blocking', 'mode=cpu', 'durationMs=200', 'fraction=1', 'routes=orders', ...admin]);
await Promise.all(
  Array.from({ length: 48 }, (_, i) =>
    fetch(
      i % 2 ? `${api.url}/api/report` : `${api.url}/api/orders`,
      i % 2 ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' } : {},
    ).then((r) => r.arrayBuffer()),
  ),
);
lab(['fault', 'clear', ...admin]);
console.log(`after 16+16 pool threads busy: api ${hwmMiB(api.child.pid).toFixed(0)} MiB`);
await sleep(2000);

console.log('\npeak resident memory (VmHWM):');
console.log(`  api         ${hwmMiB(api.child.pid).toFixed(0)} MiB`);
console.log(`  downstream  ${hwmMiB(downstream.child.pid).toFixed(0)} MiB`);
console.log(`  prometheus  ${hwmMiB(prometheus.child.pid).toFixed(0)} MiB (Debian 2.42, this run's data only)`);
console.log(`  runner      ${runnerPeak.toFixed(0)} MiB (largest of the runs)`);
for (const p of [prometheus.child, api.child, downstream.child]) p.kill('SIGTERM');
await sleep(1000);
rmSync(tmp, { recursive: true, force: true });
