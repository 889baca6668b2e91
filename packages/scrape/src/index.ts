// @runtime-lab/scrape: reading what a service exposes. The telemetry plugin writes the
// Prometheus text format; the runner, the auditor and the tests read it, all through here.
export {
  type Bucket,
  bucketsDelta,
  bucketsOf,
  type Families,
  histogramQuantile,
  type MetricFamily,
  parseExposition,
  type Sample,
  type ScrapeResult,
  samplesOf,
  scrapeMetrics,
  sumOf,
} from './exposition.js';
export { increasePerSecond, snapshotTakenAtMs } from './counters.js';
export { type SnapshotAfterOptions, scrapeSnapshotAfter } from './snapshot-after.js';
export { type ScrapeAttempt, ScrapeSchedule, type ScrapeScheduleOptions, SKIPPED_SCRAPE } from './schedule.js';
export {
  type AlertHistory,
  type AlertTimeline,
  type AlertTimelineOptions,
  alertNamesIn,
  evaluateAlertTimeline,
  evaluateInputSeries,
  foldAlertHistory,
  goDurationSeconds,
  type InputSeries,
  inputSeries,
  parsePromtoolAlerts,
  type StoredSeries,
  storedInputSeries,
  type TimedScrape,
} from './alert-timeline.js';
