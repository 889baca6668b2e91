// The runner's own client-side metrics (lab_runner_* in docs/metrics.md), served over HTTP
// for Prometheus while a run is in progress. A registry of its own, never prom-client's
// global one, so nothing else in the process leaks into it.
import {
  METRIC_LAB_RUNNER_LIVENESS_PROBES_TOTAL,
  METRIC_LAB_RUNNER_PHASE_INFO,
  METRIC_LAB_RUNNER_REQUESTS_TOTAL,
  METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS,
  METRIC_LAB_RUNNER_UP,
} from '@runtime-lab/metric-names';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class RunnerMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'scenario' | 'phase' | 'stream' | 'kind'>;
  private readonly requests: Counter<'scenario' | 'phase' | 'stream' | 'outcome'>;
  private readonly phaseInfo: Gauge<'scenario' | 'phase'>;
  private readonly up: Gauge<'scenario'>;
  private readonly liveness: Counter<'scenario' | 'outcome'>;
  private server: http.Server | undefined;
  private currentPhase: string | undefined;

  constructor(private readonly scenario: string) {
    this.duration = new Histogram({
      name: METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS,
      help: 'Client-side latency seen by the scenario runner, by stream (a validated kebab-case name) and kind: probe (warm, keep-alive), cold-probe (a new connection per request), ramp, rate and burst (all from the intended send time), pressure (closed loop).',
      labelNames: ['scenario', 'phase', 'stream', 'kind'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [this.registry],
    });
    this.requests = new Counter({
      name: METRIC_LAB_RUNNER_REQUESTS_TOTAL,
      help: 'Requests sent by the scenario runner, by outcome.',
      labelNames: ['scenario', 'phase', 'stream', 'outcome'],
      registers: [this.registry],
    });
    this.phaseInfo = new Gauge({
      name: METRIC_LAB_RUNNER_PHASE_INFO,
      help: '1 for the phase the runner is in.',
      labelNames: ['scenario', 'phase'],
      registers: [this.registry],
    });
    this.liveness = new Counter({
      name: METRIC_LAB_RUNNER_LIVENESS_PROBES_TOTAL,
      help: 'Kubelet-style liveness probes sent by the scenario runner (a new connection each), by outcome: ok, failed (status outside 200-399 or a connection error), timeout.',
      labelNames: ['scenario', 'outcome'],
      registers: [this.registry],
    });
    this.up = new Gauge({
      name: METRIC_LAB_RUNNER_UP,
      help: '1 while a run is in progress.',
      labelNames: ['scenario'],
      registers: [this.registry],
    });
    this.up.set({ scenario }, 1);
  }

  /** `latencyMs` null: counted, not timed (a pressure error has no latency). */
  observe(
    phase: string,
    stream: string,
    kind: 'probe' | 'cold-probe' | 'ramp' | 'rate' | 'burst' | 'pressure',
    latencyMs: number | null,
    outcome: 'ok' | 'error' | 'timeout',
  ): void {
    if (latencyMs !== null) this.duration.observe({ scenario: this.scenario, phase, stream, kind }, latencyMs / 1000);
    this.requests.inc({ scenario: this.scenario, phase, stream, outcome });
  }

  observeLiveness(outcome: 'ok' | 'failed' | 'timeout'): void {
    this.liveness.inc({ scenario: this.scenario, outcome });
  }

  enterPhase(phase: string): void {
    if (this.currentPhase) this.phaseInfo.set({ scenario: this.scenario, phase: this.currentPhase }, 0);
    this.currentPhase = phase;
    this.phaseInfo.set({ scenario: this.scenario, phase }, 1);
  }

  finish(): void {
    if (this.currentPhase) this.phaseInfo.set({ scenario: this.scenario, phase: this.currentPhase }, 0);
    this.up.set({ scenario: this.scenario }, 0);
  }

  /** Serves /metrics on host:port (port 0 = any free port); resolves with the bound port. */
  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('only /metrics here\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (error: Error) => res.writeHead(500).end(error.message),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    server.unref();
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
