// Shutdown under a 30 s blocking fault, per mode and signal: how long after the signal the api
// (started as main.js, under its supervisor) exits, and with which code; then the same without
// the supervisor (server.js alone), where the exit waits for the block.
// Run with the Node line to measure: <node> services/api/dist/bench/shutdown.js [--alone]
import { API_SERVER, API_SERVER_ALONE, send, setToggles, startService } from '@runtime-lab/test-kit';
import { STOP_FLAG_CASES } from '../test/shutdown-cases.js';
import { printTable } from './print.js';

const BLOCK_MS = 30_000;
const alone = process.argv.includes('--alone');
const rows: object[] = [];
for (const [mode, signal] of alone ? STOP_FLAG_CASES.slice(0, 1) : STOP_FLAG_CASES) {
  const api = await startService(alone ? API_SERVER_ALONE : API_SERVER);
  await setToggles(api.url, { blocking: { mode, durationMs: BLOCK_MS } });
  const blocked = send(`${api.url}/api/orders`, { timeoutMs: 40_000 }).then(
    (r) => r.status,
    (e: Error) => e.message,
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  const started = performance.now();
  api.child.kill(signal);
  const killer = setTimeout(() => api.child.kill('SIGKILL'), 40_000);
  const { code, signal: killedBy } = await api.exited;
  const exitMs = Math.round(performance.now() - started);
  clearTimeout(killer);
  rows.push({ mode, signal, exitMs, code: code ?? killedBy, blockedRequest: await blocked });
}
printTable(
  `Node ${process.version}: ${alone ? 'server.js alone' : 'main.js (supervised)'}, signal 500 ms into a ${BLOCK_MS / 1000} s block`,
  rows,
);
