// Downstream latency: log-normal around a median, the usual shape of a service's latency
// (most requests near the median, a long right tail). sigma 0.25 gives p99 ≈ 1.8 × median.

/** One standard normal sample (Box-Muller). */
function standardNormal(random: () => number): number {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function sampleLatencyMs(medianMs: number, sigma: number, random: () => number = Math.random): number {
  if (medianMs <= 0) return 0;
  return Math.min(60_000, medianMs * Math.exp(sigma * standardNormal(random)));
}
