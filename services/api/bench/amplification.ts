// Queue amplification: POST /api/checkout under closed-loop pressure with the fault's defaults
// (fan-out 5, downstream 200 ms / 4 at a time, timeout 500 ms, 3 retries), then each
// mitigation alone, then all three.
// Run: node services/api/dist/bench/amplification.js [--phase-seconds 8]
import { type AmplificationFigures, measureAmplification } from '../measure/experiments.js';
import { startLab } from '@runtime-lab/test-kit';
import { phaseMsFromArgs, printTable } from './print.js';

const phaseMs = phaseMsFromArgs(8);
const lab = await startLab();
const rows: AmplificationFigures[] = [];
try {
  const common = { connections: 8, phaseMs };
  const fault = { 'queue-amplification': {} };
  rows.push(await measureAmplification(lab, { label: 'healthy', toggles: {}, ...common }));
  rows.push(await measureAmplification(lab, { label: 'queue-amplification', toggles: fault, ...common }));
  rows.push(await measureAmplification(lab, { label: '+ load-shedding', toggles: { ...fault, 'load-shedding': {} }, ...common }));
  rows.push(await measureAmplification(lab, { label: '+ retry-budget', toggles: { ...fault, 'retry-budget': {} }, ...common }));
  rows.push(
    await measureAmplification(lab, { label: '+ deadline-propagation', toggles: { ...fault, 'deadline-propagation': {} }, ...common }),
  );
  rows.push(
    await measureAmplification(lab, {
      label: '+ all three',
      toggles: { ...fault, 'load-shedding': {}, 'retry-budget': {}, 'deadline-propagation': {} },
      ...common,
    }),
  );
} finally {
  await lab.stop();
}
printTable(`queue amplification, 8 connections on POST /api/checkout, ${phaseMs / 1000} s per phase`, rows);
