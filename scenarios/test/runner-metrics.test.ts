// The runner's own metrics carry both client populations and the liveness probe's outcomes,
// under the names from @runtime-lab/metric-names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { METRIC_LAB_RUNNER_LIVENESS_PROBES_TOTAL, METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS } from '@runtime-lab/metric-names';
import { RunnerMetrics } from '../src/runner-metrics.js';

test('lab_runner_* metrics: warm and cold probe latencies by kind, liveness probes by outcome', async () => {
  const metrics = new RunnerMetrics('blocking');
  metrics.observe('fault', 'probe', 'probe', 1200, 'ok');
  metrics.observe('fault', 'cold-probe', 'cold-probe', 6300, 'ok');
  metrics.observeLiveness('timeout');
  metrics.observeLiveness('timeout');
  metrics.observeLiveness('ok');
  const text = await metrics.registry.metrics();
  assert.match(
    text,
    new RegExp(
      `${METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS}_count\\{scenario="blocking",phase="fault",stream="cold-probe",kind="cold-probe"\\} 1`,
    ),
  );
  assert.match(
    text,
    new RegExp(
      `${METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS}_bucket\\{le="5",scenario="blocking",phase="fault",stream="cold-probe",kind="cold-probe"\\} 0`,
    ),
  );
  assert.match(text, new RegExp(`${METRIC_LAB_RUNNER_LIVENESS_PROBES_TOTAL}\\{scenario="blocking",outcome="timeout"\\} 2`));
  assert.match(text, new RegExp(`${METRIC_LAB_RUNNER_LIVENESS_PROBES_TOTAL}\\{scenario="blocking",outcome="ok"\\} 1`));
});
