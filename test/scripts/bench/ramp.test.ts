import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isSaturated, rampGoesOn, type RampStep } from "../../../scripts/bench/ramp.js";

/** A step at `offered`/s that delivered `delivered`/s, all of it eventually, p99 30 ms. */
const step = (offered: number, delivered: number, more: Partial<RampStep> = {}): RampStep => ({
  offeredPerSecond: offered,
  deliveredPerSecond: delivered,
  deliveryRatio: 1,
  p99: 30,
  ...more,
});

describe("a step is saturated", () => {
  test("when under 90% of the offered rate is delivered per second", () => {
    assert.equal(isSaturated(step(100_000, 89_600)), true);
    assert.equal(isSaturated(step(100_000, 90_000)), false);
  });
  test("when under 97% of the messages arrive at all", () => {
    assert.equal(isSaturated(step(25_000, 25_000, { deliveryRatio: 0.96 })), true);
  });
  test("when p99 is over a second", () => {
    assert.equal(isSaturated(step(25_000, 25_000, { p99: 1001 })), true);
  });
  test("and not while delivery follows the rate", () => {
    assert.equal(isSaturated(step(25_000, 25_000)), false);
  });
});

describe("the ramp", () => {
  test("goes on while no step is saturated", () => {
    assert.equal(rampGoesOn([step(5000, 5000), step(50_000, 50_000)]), true);
  });
  test("goes on for one rate past the first saturated step, so that a ceiling is measured under more load", () => {
    // The example run that showed it: 89.6k of 100k/s ended the ramp there, where one process went on to 200k/s.
    const ramp = [step(50_000, 50_000), step(100_000, 89_600)];
    assert.equal(rampGoesOn(ramp), true);
    assert.equal(rampGoesOn([...ramp, step(200_000, 129_000)]), false);
  });
  test("stops after that one rate even when it kept up again", () => {
    assert.equal(rampGoesOn([step(100_000, 89_600), step(200_000, 190_000)]), false);
  });
});
