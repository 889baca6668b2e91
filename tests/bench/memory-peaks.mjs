#!/usr/bin/env node
// Prints the peak resident memory (VmHWM) of each process the compose stack runs, measured
// natively on Linux while every quick scenario runs, plus two worst cases a learner can toggle
// by hand (json blocking on every request, both worker pools at their 16-thread maximum).
// The compose file's mem_limit values are chosen from these figures with headroom; Grafana
// cannot run here and is not measured.
// Usage: node tests/bench/memory-peaks.mjs   (after pnpm build; needs Debian's prometheus)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPrometheus, waitForPrometheus } from '@runtime-lab/cli';
import { API_SERVER_ALONE, freePort, lab, repoPath, runAgainstArgs, startService } from '@runtime-lab/test-kit';

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

// Each service without its signal supervisor, so the pid measured is the service's own.
const downstream = await startService(repoPath('services/downstream/dist/src/server.js'));
const api = await startService(API_SERVER_ALONE, { DOWNSTREAM_URL: downstream.url });
const runnerPort = await freePort();
const prometheusPort = await freePort();
const prometheus = startPrometheus({
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
await waitForPrometheus(prometheus.url, 30_000);

let runnerPeak = 0;
const names = (await lab(['list'])).stdout
  .split('\n')
  .map((l) => l.split(/\s+/)[0])
  .filter(Boolean);
for (const name of names) {
  let peak = 0;
  let timer;
  const run = await lab(['run', name, '--quick', ...runAgainstArgs(api, runnerPort, join(tmp, name))], {
    onSpawn: (pid) => {
      timer = setInterval(() => {
        peak = Math.max(peak, hwmMiB(pid));
      }, 100);
    },
  });
  clearInterval(timer);
  runnerPeak = Math.max(runnerPeak, peak);
  console.log(
    `lab run ${name} --quick: exit ${run.code}, runner peak ${peak.toFixed(0)} MiB, api so far ${hwmMiB(api.pid).toFixed(0)} MiB`,
  );
}

// Worst cases by hand: huge JSON on every /api/orders, and both pools at 16 threads busy.
const admin = ['--api', api.url];
await lab(['fault', 'set', 'blocking', 'mode=json', 'durationMs=2000', 'fraction=1', 'routes=orders', ...admin]);
await Promise.all(Array.from({ length: 4 }, () => fetch(`${api.url}/api/orders`).then((r) => r.arrayBuffer())));
await lab(['fault', 'clear', ...admin]);
console.log(`after json blocking x4: api ${hwmMiB(api.pid).toFixed(0)} MiB`);
await lab(['fault', 'set', 'executor-saturation', 'threads=16', 'taskMs=500', ...admin]);
await lab(['fault', 'set', 'offload', 'threads=16', ...admin]);
await lab(['fault', 'set', 'blocking', 'mode=cpu', 'durationMs=200', 'fraction=1', 'routes=orders', ...admin]);
await Promise.all(
  Array.from({ length: 48 }, (_, i) =>
    fetch(
      i % 2 ? `${api.url}/api/report` : `${api.url}/api/orders`,
      i % 2 ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' } : {},
    ).then((r) => r.arrayBuffer()),
  ),
);
await lab(['fault', 'clear', ...admin]);
console.log(`after 16+16 pool threads busy: api ${hwmMiB(api.pid).toFixed(0)} MiB`);
await sleep(2000);

console.log('\npeak resident memory (VmHWM):');
console.log(`  api         ${hwmMiB(api.pid).toFixed(0)} MiB`);
console.log(`  downstream  ${hwmMiB(downstream.pid).toFixed(0)} MiB`);
console.log(`  prometheus  ${hwmMiB(prometheus.child.pid).toFixed(0)} MiB (Debian 2.42, this run's data only)`);
console.log(`  runner      ${runnerPeak.toFixed(0)} MiB (largest of the runs)`);
prometheus.child.kill('SIGTERM');
await Promise.all([api.stop(), downstream.stop()]);
rmSync(tmp, { recursive: true, force: true });
