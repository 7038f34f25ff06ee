/**
 * Pacing one IoT operation's requests at IoT's rate once IoT throttles it:
 * a rate limiter for the SDK's AdaptiveRetryStrategy (`@smithy/core/retry`),
 * in place of its DefaultRateLimiter.
 *
 * IoT limits each API to a number of requests a second (10 for the jobs APIs:
 * AWS IoT's throttling limits; docs/configuration.md, "Retries and rate
 * limits"), with a token bucket that allows a burst. The
 * SDK's default limiter measures the rate it got through when the first
 * throttle comes, sends at 70 % of it and climbs back along a cubic curve:
 * after the burst a deploy of 100 jobs stalled for a second or two, then ran
 * under IoT's rate. This limiter sends nothing differently until the first
 * throttle (an account whose limits were raised is never slowed), then sends
 * at evenly spaced times at IoT's rate, the first one interval after the
 * throttle came back: a deploy goes at IoT's rate with the burst used and no
 * further throttle. No margin under the rate is needed for that: the bucket
 * was empty when IoT refused, and it gains a token each interval whatever the
 * requests' latency, so a request sent k intervals after the refusal was seen
 * arrives after k tokens came, and a late one leaves its token for the next
 * (a margin of 2 % cost a deploy of 100 jobs 0.18 s and avoided no throttle,
 * measured with `npm run bench -- jobs`, idle and loaded). A throttle while
 * pacing (another client spends the same rate, the account's is lower, or
 * IoT counts requests in a way that needs a margin) lowers the rate by a
 * fifth, at most once a second; each second without one raises it by a
 * twentieth, up to 98 % of the configured rate: the margin is taken only once
 * IoT has shown it is needed (and never more: a throttle caused by another
 * client for a while does not lower the pace for the rest of the deploy).
 * LimitExceededException (the SDK retries it as throttling) is a quota, not
 * a rate: it changes nothing here.
 *
 * A request refused by a throttle while pacing is retried at its paced time,
 * without the SDK's throttling backoff on top (a second on average): with
 * every concurrency slot of an operation held by requests sleeping in that
 * backoff, a deploy sent nothing for a second or two.
 */
import { AdaptiveRetryStrategy, MAXIMUM_RETRY_DELAY, Retry, type RateLimiter } from "@smithy/core/retry";

/** IoT's default rate for each jobs API, in requests a second (AWS IoT throttling limits). */
export const IOT_RATE_PER_SECOND = 10;

const DECREASE = 0.8;
const INCREASE = 0.05;
const MIN_RATE = 0.5;
/** After a throttle while pacing, the pace climbs back to this share of the configured rate. */
const MARGIN_AFTER_THROTTLE = 0.98;

/** The rate the pacer starts at after the first throttle: ALCHEMY_IOT_RATE_PER_SECOND, or IoT's default. */
export function configuredRate(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.ALCHEMY_IOT_RATE_PER_SECOND;
  if (raw === undefined || raw === "") return IOT_RATE_PER_SECOND;
  const rate = Number(raw);
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new Error(`ALCHEMY_IOT_RATE_PER_SECOND must be a number of requests a second above 0, not "${raw}".`);
  }
  return rate;
}

interface ErrorInfo {
  errorType?: string;
  error?: { name?: string };
}

export class Pacer implements RateLimiter {
  /** Requests a second while pacing; undefined until the first throttle. */
  private rate: number | undefined;
  /** When the next request may be sent (ms, on `now`'s clock). */
  private nextAtMs = 0;
  /** When the rate last changed. */
  private changedAtMs = 0;
  /** The most the rate climbs back to: the configured rate, a little under it after a throttle while pacing. */
  private ceiling: number;
  private readonly configured: number;
  private readonly now: () => number;

  constructor(ratePerSecond: number = IOT_RATE_PER_SECOND, now: () => number = () => performance.now()) {
    this.ceiling = this.configured = ratePerSecond;
    this.now = now;
  }

  /** The pacing rate (requests a second), or undefined when not pacing. */
  get pacingRate(): number | undefined {
    return this.rate;
  }

  async getSendToken(): Promise<void> {
    if (this.rate === undefined) return;
    const now = this.now();
    // A second without a throttle: a twentieth more, up to the ceiling.
    if (this.rate < this.ceiling && now - this.changedAtMs >= 1000) {
      this.rate = Math.min(this.ceiling, this.rate * (1 + INCREASE));
      this.changedAtMs = now;
    }
    const at = Math.max(now, this.nextAtMs);
    this.nextAtMs = at + 1000 / this.rate;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }

  updateClientSendingRate(info: ErrorInfo | undefined): void {
    if (info?.errorType !== "THROTTLING" || info.error?.name === "LimitExceededException") return;
    const now = this.now();
    if (this.rate === undefined) this.rate = this.ceiling;
    else if (now - this.changedAtMs >= 1000) {
      this.ceiling = this.configured * MARGIN_AFTER_THROTTLE;
      this.rate = Math.max(MIN_RATE, this.rate * DECREASE);
    } else return; // the same throttle (requests sent together are refused together)
    this.changedAtMs = now;
    // IoT's bucket is empty: the next request waits one interval.
    this.nextAtMs = Math.max(this.nextAtMs, now + 1000 / this.rate);
  }
}

/**
 * The SDK's backoff (a random share of base × 2^attempt, capped), except
 * after a throttle while the pacer paces: then none, as the pacer spaces the
 * retry. The strategy sets the base to Retry.throttlingDelay() for a throttle
 * just before asking for the delay; where that base cannot be told from the
 * other, the SDK's backoff always applies.
 */
class PacedBackoff {
  private base = Retry.delay();
  private readonly pacer: Pacer;

  constructor(pacer: Pacer) {
    this.pacer = pacer;
  }

  setDelayBase(delay: number): void {
    this.base = delay;
  }

  computeNextBackoffDelay(attempt: number): number {
    const throttled = this.base === Retry.throttlingDelay() && Retry.throttlingDelay() !== Retry.delay();
    if (throttled && this.pacer.pacingRate !== undefined) return 0;
    return Math.floor(Math.random() * Math.min(this.base * 2 ** attempt, MAXIMUM_RETRY_DELAY));
  }
}

/** The SDK's adaptive retry strategy with `maxAttempts`, paced by a Pacer of its own (see above). */
export function pacedRetryStrategy(maxAttempts: number, ratePerSecond: number = configuredRate()): AdaptiveRetryStrategy {
  const pacer = new Pacer(ratePerSecond);
  return new AdaptiveRetryStrategy(maxAttempts, { rateLimiter: pacer, backoff: new PacedBackoff(pacer) });
}
