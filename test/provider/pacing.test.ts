/**
 * The rate limiter every IoT client retries with (src/provider/pacing.ts):
 * nothing held back until IoT throttles; then requests at even intervals at
 * IoT's rate; a throttle while pacing slows it by a fifth (once a
 * second at most), a quiet second speeds it up by a twentieth; a quota
 * (LimitExceededException) changes nothing. Then the same through the real SDK
 * against the local endpoint throttling at IoT's rate.
 */
import { CreateJobTemplateCommand, IoTClient } from "@aws-sdk/client-iot";
import { afterAll, afterEach, beforeAll, expect, test, vi } from "vitest";
import { configuredRate, IOT_RATE_PER_SECOND, Pacer, pacedRetryStrategy } from "../../src/provider/pacing.ts";
import { startLocalIoT, type LocalIoT } from "../../src/local/index.ts";

const throttle = { errorType: "THROTTLING", error: { name: "ThrottlingException" } };

afterEach(() => vi.useRealTimers());

test("not pacing until a throttle; then the rate, at even intervals", async () => {
  vi.useFakeTimers();
  const clock = 0;
  const pacer = new Pacer(10, () => clock);
  await pacer.getSendToken(); // not pacing: at once
  expect(pacer.pacingRate).toBeUndefined();
  pacer.updateClientSendingRate({}); // a success changes nothing
  pacer.updateClientSendingRate({ errorType: "THROTTLING", error: { name: "LimitExceededException" } }); // a quota, not a rate
  expect(pacer.pacingRate).toBeUndefined();

  pacer.updateClientSendingRate(throttle);
  expect(pacer.pacingRate).toBe(10);
  // Three requests at once: sent 1/10 s apart, the first one interval after the throttle (IoT's bucket is empty).
  const sent: number[] = [];
  const interval = 1000 / 10;
  const all = [0, 1, 2].map((i) => pacer.getSendToken().then(() => sent.push(i)));
  await vi.advanceTimersByTimeAsync(interval - 1);
  expect(sent).toEqual([]);
  await vi.advanceTimersByTimeAsync(1);
  expect(sent).toEqual([0]);
  await vi.advanceTimersByTimeAsync(interval);
  expect(sent).toEqual([0, 1]);
  await vi.advanceTimersByTimeAsync(interval);
  await Promise.all(all);
  expect(sent).toEqual([0, 1, 2]);
});

test("a throttle while pacing: a fifth slower, once a second at most; a second without one: a twentieth faster, up to 98 % of the rate", () => {
  let clock = 0;
  const pacer = new Pacer(10, () => clock);
  pacer.updateClientSendingRate(throttle); // 10
  clock = 500;
  pacer.updateClientSendingRate(throttle); // the same throttle (within a second): unchanged
  expect(pacer.pacingRate).toBe(10);
  clock = 1000;
  pacer.updateClientSendingRate(throttle);
  expect(pacer.pacingRate).toBeCloseTo(8); // 10 × 0.8
  clock = 2000;
  void pacer.getSendToken();
  expect(pacer.pacingRate).toBeCloseTo(8.4); // × 1.05
  for (let s = 3; s <= 10; s++) {
    clock = s * 1000;
    void pacer.getSendToken();
  }
  expect(pacer.pacingRate).toBeCloseTo(9.8); // IoT refused the full rate: never above 98 % of it again
  // Refused again at 9.8 (another client, for a while): a fifth slower, and back up to 98 % of the rate, no lower.
  clock = 11_000;
  pacer.updateClientSendingRate(throttle);
  expect(pacer.pacingRate).toBeCloseTo(7.84);
  for (let s = 12; s <= 20; s++) {
    clock = s * 1000;
    void pacer.getSendToken();
  }
  expect(pacer.pacingRate).toBeCloseTo(9.8);
});

test("ALCHEMY_IOT_RATE_PER_SECOND sets the rate; anything but a positive number is refused, naming the variable and the value", () => {
  expect(configuredRate({})).toBe(IOT_RATE_PER_SECOND);
  expect(configuredRate({ ALCHEMY_IOT_RATE_PER_SECOND: "50" })).toBe(50);
  expect(() => configuredRate({ ALCHEMY_IOT_RATE_PER_SECOND: "0" })).toThrow(
    'ALCHEMY_IOT_RATE_PER_SECOND must be a number of requests a second above 0, not "0".',
  );
  expect(() => configuredRate({ ALCHEMY_IOT_RATE_PER_SECOND: "fast" })).toThrow('not "fast"');
});

let local: LocalIoT;
beforeAll(async () => {
  local = await startLocalIoT({ faults: { throttle: { CreateJobTemplate: 10 }, burst: 10 } });
});
afterAll(() => local.stop());

test("through the SDK: 30 creates at once against IoT's rate and burst all succeed, the throttled ones retried at their paced time", async () => {
  const iot = new IoTClient({
    endpoint: local.endpoint,
    region: local.region,
    credentials: local.credentials,
    maxAttempts: 10,
    retryStrategy: pacedRetryStrategy(10, 10),
  });
  local.resetStats();
  const answers = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      iot.send(new CreateJobTemplateCommand({ jobTemplateId: `paced-${i}`, description: "d", document: "{}" })),
    ),
  );
  expect(answers.every((a) => a.jobTemplateId?.startsWith("paced-"))).toBe(true);
  expect(local.world.tables.templates.size).toBe(30);
  // IoT's bucket let 10 through at once and refused the rest: those were retried, paced at IoT's rate, and went
  // through at their first retry (a paced request finds its token: no second throttle).
  const stats = local.stats();
  expect(stats.throttled).toBeGreaterThan(0);
  expect(stats.byOperation.CreateJobTemplate.ok).toBe(30);
  expect(Math.max(...answers.map((a) => a.$metadata.attempts ?? 1))).toBe(2);
  iot.destroy();
});
