/**
 * The fan-out ramp's two rules: when a step counts as saturated, and when the ramp stops. Kept apart from the
 * benchmark's processes so that they can be tested without running one.
 */

/** What the rules read of a measured step. */
export interface RampStep {
  offeredPerSecond: number;
  deliveredPerSecond: number;
  /** Share of the sent messages that were delivered eventually (0-1). */
  deliveryRatio: number;
  /** ms */
  p99: number;
}

/** Saturated: delivery stops following the offered rate, messages go missing, or p99 explodes. */
export function isSaturated(step: RampStep): boolean {
  return step.deliveredPerSecond < 0.9 * step.offeredPerSecond || step.deliveryRatio < 0.97 || step.p99 > 1000;
}

/**
 * Whether the ramp measures another rate after `steps`: until one step past the first saturated one. Why not
 * stop at that first one: the step where a configuration first falls behind caps what it can show at that
 * step's offered load (the topology delivered 89.6k of 100k/s), while one that kept up went on to be measured
 * under twice the load (one process, 128k of 200k/s), so the ceilings compared were taken at different loads
 * (scripts/bench/results/example/tuning.md, issue 13's eleventh session). Under the next rate's load every
 * configuration shows what it delivers when it cannot keep up.
 */
export function rampGoesOn(steps: readonly RampStep[]): boolean {
  const firstSaturated = steps.findIndex(isSaturated);
  return firstSaturated === -1 || firstSaturated === steps.length - 1;
}
