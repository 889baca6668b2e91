// Main-thread side of stall attribution: turns each attributed stall the watchdog reports
// (stall-sampler.ts) into a rate-limited log line and two counters labelled by the frame that
// held the loop. The label set is bounded: the first `topFrames` distinct frames keep their
// name, later ones are counted under "other" (a process that stalls in many places still
// exposes at most topFrames + 2 series per counter).
import type { FastifyBaseLogger } from 'fastify';
import {
  METRIC_EVENTLOOP_ATTRIBUTED_STALL_SECONDS_TOTAL,
  METRIC_EVENTLOOP_ATTRIBUTED_STALLS_TOTAL,
  METRIC_STALL_ATTRIBUTION_ENABLED,
  withPrefix,
} from '@runtime-lab/metric-names';
import { Counter, Gauge } from 'prom-client';
import type { OwnedMetrics } from './owned-metrics.js';
import type { AttributedStall, SamplerEvent } from './stall-sampler.js';

export interface StallAttributionSettings {
  topFrames: number;
  logIntervalMs: number;
}

/** Label value for stalls whose capture found no JavaScript on the stack. */
export const NO_FRAME_LABEL = 'unknown';
export const OTHER_FRAME_LABEL = 'other';

export interface StallAttribution {
  handle(event: SamplerEvent): void;
}

function logFields(stall: AttributedStall): Record<string, unknown> {
  return {
    stall: {
      startedAt: stall.startedAt,
      durationSeconds: Number(stall.durationSeconds.toFixed(3)),
      frame: stall.label,
      firstStackAfterMs: stall.firstStackAfterMs === null ? null : Number(stall.firstStackAfterMs.toFixed(1)),
      samples: stall.samples,
      frames: stall.frames.slice(0, 5).map((f) => {
        const at = f.source ?? (f.file === null ? undefined : { file: f.file, line: f.line, column: f.column });
        return at ? `${f.function} ${at.file}:${at.line}:${at.column}` : f.function;
      }),
      ...(stall.note ? { note: stall.note } : {}),
    },
  };
}

export function createStallAttribution(
  owned: OwnedMetrics,
  prefix: string,
  log: FastifyBaseLogger,
  settings: StallAttributionSettings,
): StallAttribution {
  const enabledName = withPrefix(METRIC_STALL_ATTRIBUTION_ENABLED, prefix);
  const stallsName = withPrefix(METRIC_EVENTLOOP_ATTRIBUTED_STALLS_TOTAL, prefix);
  const secondsName = withPrefix(METRIC_EVENTLOOP_ATTRIBUTED_STALL_SECONDS_TOTAL, prefix);
  const enabled = owned.add(
    enabledName,
    new Gauge({
      name: enabledName,
      help: '1 while stall attribution runs; 0 when it is configured but the runtime does not support it (the reason is logged once).',
      registers: [],
    }),
  );
  const stalls = owned.add(
    stallsName,
    new Counter({
      name: stallsName,
      help: `Event-loop stalls longer than the attribution threshold, by the frame that held the loop (first N frames by name, then "${OTHER_FRAME_LABEL}"; "${NO_FRAME_LABEL}" when no JavaScript was on the stack).`,
      labelNames: ['frame'],
      registers: [],
    }),
  );
  const stalledSeconds = owned.add(
    secondsName,
    new Counter({
      name: secondsName,
      help: 'Seconds the event loop was stalled, by the frame that held it (same labels as eventloop_attributed_stalls_total).',
      labelNames: ['frame'],
      registers: [],
    }),
  );
  const named = new Set<string>();
  let lastLogMs = Number.NEGATIVE_INFINITY;
  let suppressed = 0;

  const labelFor = (label: string | null): string => {
    if (label === null) return NO_FRAME_LABEL;
    if (named.has(label)) return label;
    if (named.size < settings.topFrames) {
      named.add(label);
      return label;
    }
    return OTHER_FRAME_LABEL;
  };

  return {
    handle(event) {
      if (event.type === 'attribution-on') {
        enabled.set(1);
      } else if (event.type === 'attribution-off') {
        enabled.set(0);
        log.warn(`@runtime-lab/telemetry: stall attribution is off: ${event.reason}`);
      } else {
        const { stall } = event;
        const frame = labelFor(stall.label);
        stalls.inc({ frame });
        stalledSeconds.inc({ frame }, stall.durationSeconds);
        const now = performance.now();
        if (now - lastLogMs < settings.logIntervalMs) {
          suppressed++;
          return;
        }
        lastLogMs = now;
        const fields = { ...logFields(stall), ...(suppressed ? { suppressedStalls: suppressed } : {}) };
        suppressed = 0;
        log.warn(fields, `event loop stalled ${(stall.durationSeconds * 1000).toFixed(0)} ms in ${stall.label ?? 'no JavaScript frame'}`);
      }
    },
  };
}
