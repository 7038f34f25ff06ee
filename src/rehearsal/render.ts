/**
 * A rehearsal as text (a few lines: the story), Markdown (for a pull-request
 * comment, with a Mermaid `xychart-beta` chart that GitHub renders) and SVG
 * (the same chart as a file), or JSON (report.ts).
 */
import type { Minute, Rehearsal } from "./report.ts";

export type RehearsalFormat = "text" | "markdown" | "json";

/** A count as people write it: 1,000. */
export const n = (x: number) => x.toLocaleString("en-US");
const plural = (count: number, one: string, many = `${one}s`) => `${n(count)} ${count === 1 ? one : many}`;

/** The rollout configuration in words: "100/min", "exponential: 10/min, ×2 every 10 notified, at most 100/min". */
export function rolloutWords(config: unknown): string {
  const c = config as
    | {
        maximumPerMinute?: number;
        exponentialRate?: {
          baseRatePerMinute: number;
          incrementFactor: number;
          rateIncreaseCriteria: { numberOfNotifiedThings?: number; numberOfSucceededThings?: number };
        };
      }
    | undefined;
  const max = c?.maximumPerMinute;
  const e = c?.exponentialRate;
  if (e) {
    const every =
      e.rateIncreaseCriteria.numberOfNotifiedThings !== undefined
        ? `${n(e.rateIncreaseCriteria.numberOfNotifiedThings)} notified`
        : `${n(e.rateIncreaseCriteria.numberOfSucceededThings ?? 0)} succeeded`;
    return `exponential: ${n(e.baseRatePerMinute)}/min, ×${e.incrementFactor} every ${every}, at most ${n(max ?? 1000)}/min`;
  }
  return max !== undefined ? `${n(max)}/min` : "1,000/min (IoT's default)";
}

/** The outcome in one sentence. */
function outcome(r: Rehearsal): string {
  const e = r.executions;
  const failed = e.FAILED + e.REJECTED + e.TIMED_OUT;
  const failures = [
    e.FAILED && `${n(e.FAILED)} failed`,
    e.REJECTED && `${n(e.REJECTED)} rejected`,
    e.TIMED_OUT && `${n(e.TIMED_OUT)} timed out`,
  ]
    .filter(Boolean)
    .join(", ");
  const never = e.NOT_NOTIFIED > 0 ? `; ${plural(e.NOT_NOTIFIED, "device")} never received the job` : "";
  const open = e.QUEUED + e.IN_PROGRESS > 0 ? `; ${n(e.QUEUED)} still queued, ${n(e.IN_PROGRESS)} still in progress` : "";
  if (r.waves && (r.outcome === "CANCELED" || r.outcome === "HELD")) {
    const verb = r.outcome === "CANCELED" ? "canceled" : "held";
    return `${verb} at minute ${r.minutes}: wave ${r.wave ?? "?"} failed its gate with ${failures || "no failures"}, ${n(e.SUCCEEDED)} succeeded${never}${open}`;
  }
  if (r.outcome === "CANCELED") {
    const why = r.reasonCode ? ` (${r.reasonCode})` : "";
    return `canceled at minute ${r.minutes}${why} with ${failures || "no failures"}, ${n(e.SUCCEEDED)} succeeded${e.CANCELED ? `, ${n(e.CANCELED)} executions canceled` : ""}${never}${open}`;
  }
  if (r.outcome === "COMPLETED")
    return `completed at minute ${r.minutes}: ${n(e.SUCCEEDED)} succeeded${failed ? `, ${failures}` : ""}${never}${open}`;
  return `still ${r.outcome} after ${plural(r.minutes, "minute")} (the horizon): ${n(e.SUCCEEDED)} succeeded${failed ? `, ${failures}` : ""}${never}${open}`;
}

const startWordsOf = (m: number | null) => (m === null ? "not started" : `minute ${n(m)}`);

/** A Rollout's waves as text lines, one a wave. */
function waveLines(r: Rehearsal): string[] {
  if (!r.waves) return [];
  return [
    `Waves (the program's deploy re-run every ${plural(r.deployEveryMinutes ?? 0, "virtual minute")}):`,
    ...r.waves.map(
      (w, i) =>
        `  ${i + 1}. ${w.name}: ${startWordsOf(w.startMinute)}; ${plural(w.devices, "device")}, ${n(w.succeeded)} succeeded, ${n(w.failed)} failed; gate ${w.gate}`,
    ),
  ];
}

/** A Rollout's waves as a Markdown table. */
function waveTable(r: Rehearsal): string[] {
  if (!r.waves) return [];
  return [
    `Waves (the program's deploy re-run every ${plural(r.deployEveryMinutes ?? 0, "virtual minute")}):`,
    "",
    "| Wave | Started | Devices | Succeeded | Failed | Gate |",
    "|---|---|---:|---:|---:|---|",
    ...r.waves.map(
      (w) => `| ${w.name} | ${startWordsOf(w.startMinute)} | ${n(w.devices)} | ${n(w.succeeded)} | ${n(w.failed)} | ${w.gate} |`,
    ),
    "",
  ];
}

function behaviourWords(r: Rehearsal): string {
  const b = r.behaviour;
  const rates = [
    b.failRate && `${b.failRate * 100}% fail`,
    b.rejectRate && `${b.rejectRate * 100}% reject`,
    b.hangRate && `${b.hangRate * 100}% hang`,
    b.offlineRate && `${b.offlineRate * 100}% offline`,
  ].filter(Boolean);
  return `${rates.length ? rates.join(", ") : "every device succeeds"}; a run takes ${plural(b.runMinutes, "minute")}; seed ${r.seed}`;
}

/** When minute 0 was: "2027-03-01 22:00 UTC". */
const startWords = (r: Rehearsal) => `${r.start.slice(0, 10)} ${r.start.slice(11, 16)} UTC`;

/** "firmware: 950 on 1.1.0, 50 (none)", one string per package. */
export function versionWords(r: Rehearsal): string[] {
  return Object.entries(r.packageVersions ?? {}).map(
    ([pkg, versions]) =>
      `${pkg}: ${Object.entries(versions)
        .sort((a, b) => b[1] - a[1])
        .map(([v, count]) => (v.startsWith("(") ? `${n(count)} ${v}` : `${n(count)} on ${v}`))
        .join(", ")}`,
  );
}

export function renderText(r: Rehearsal): string {
  const max = Math.max(0, ...r.timeline.map((m) => m.notified));
  return [
    `Rehearsal of ${r.waves ? "rollout" : "job"} ${r.job} (${r.jobId}): ${plural(r.devices, "device")}; rollout ${rolloutWords(r.settings.jobExecutionsRolloutConfig)}; ${outcome(r)}.`,
    ...waveLines(r),
    `Executions: ${n(r.attempts)} in all (retries included); at most ${n(max)} notified in a minute.`,
    `Devices: ${behaviourWords(r)}.`,
    `Virtual clock: minute 0 is ${startWords(r)}.`,
    ...versionWords(r).map((v) => `Versions at the end: ${v}.`),
    ...r.notes.map((note) => `Note: ${note}.`),
    "",
  ].join("\n");
}

/** At most `points` buckets of whole minutes, summed, for a chart that stays readable. */
export function bucketed(timeline: readonly Minute[], points = 60): { size: number; buckets: Minute[] } {
  const size = Math.max(1, Math.ceil(timeline.length / points));
  const buckets: Minute[] = [];
  for (let i = 0; i < timeline.length; i += size) {
    const slice = timeline.slice(i, i + size);
    const sum = (k: keyof Omit<Minute, "minute">) => slice.reduce((a, m) => a + m[k], 0);
    buckets.push({
      minute: i,
      notified: sum("notified"),
      succeeded: sum("succeeded"),
      failed: sum("failed"),
      rejected: sum("rejected"),
      timedOut: sum("timedOut"),
    });
  }
  return { size, buckets };
}

const failures = (m: Minute) => m.failed + m.rejected + m.timedOut;

export function renderMarkdown(r: Rehearsal): string {
  const { size, buckets } = bucketed(r.timeline);
  const per = size === 1 ? "per minute" : `per ${size} minutes`;
  const top = Math.max(1, ...buckets.map((b) => Math.max(b.notified, b.succeeded, failures(b))));
  const e = r.executions;
  const rows = Object.entries(e).filter(([, v]) => v > 0);
  return [
    `### Rehearsal of ${r.waves ? "rollout" : "job"} \`${r.job}\``,
    "",
    `**${plural(r.devices, "simulated device")}; rollout ${rolloutWords(r.settings.jobExecutionsRolloutConfig)}; ${outcome(r)}.**`,
    "",
    `Devices: ${behaviourWords(r)}. Executions: ${n(r.attempts)} (retries included). Minute 0 is ${startWords(r)}.`,
    "",
    ...versionWords(r).flatMap((v) => [`Versions at the end: ${v}.`, ""]),
    ...waveTable(r),
    "| Final status | Devices |",
    "|---|---:|",
    ...rows.map(([k, v]) => `| ${k} | ${n(v)} |`),
    "",
    "```mermaid",
    "xychart-beta",
    `  title "Executions ${per}: notified (bars), succeeded (line 1), failed, rejected or timed out (line 2)"`,
    `  x-axis "minute" [${buckets.map((b) => b.minute).join(", ")}]`,
    `  y-axis "executions" 0 --> ${top}`,
    `  bar [${buckets.map((b) => b.notified).join(", ")}]`,
    `  line [${buckets.map((b) => b.succeeded).join(", ")}]`,
    `  line [${buckets.map(failures).join(", ")}]`,
    "```",
    ...(r.notes.length ? ["", ...r.notes.map((note) => `> ${note}.`)] : []),
    "",
  ].join("\n");
}

/** Round values from 0 to `max` (about 5 of them: steps of 1, 2 or 5 times a power of ten). */
export function ticks(max: number): number[] {
  if (max <= 0) return [0];
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? 10 * power);
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(Math.round(v));
  return out;
}

/** The same chart as an SVG file: bars for notified, lines for succeeded and failures, with a legend. */
export function renderSvg(r: Rehearsal): string {
  const { size, buckets } = bucketed(r.timeline, 120);
  const [w, h, left, bottom, top] = [800, 360, 56, 40, 40];
  const plotW = w - left - 16;
  const plotH = h - top - bottom;
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.notified, b.succeeded, failures(b))));
  const x = (i: number) => left + (plotW * (i + 0.5)) / buckets.length;
  const y = (v: number) => top + plotH - (plotH * v) / max;
  const barW = Math.max(1, plotW / buckets.length - 2);
  const line = (values: number[], color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ")}"/>`;
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const last = buckets.length ? buckets[buckets.length - 1].minute : 0;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(`Rehearsal of job ${r.job}`)}</title>`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
    `<text x="${left}" y="20" font-size="14">${esc(`Job ${r.job}: ${n(r.devices)} devices, executions ${size === 1 ? "per minute" : `per ${size} minutes`}`)}</text>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333"/>`,
    // Ticks at round values on both axes, with light grid lines across the plot.
    ...ticks(max).map((v) =>
      [
        `<line x1="${left}" y1="${y(v).toFixed(1)}" x2="${left + plotW}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
        `<line x1="${left - 4}" y1="${y(v).toFixed(1)}" x2="${left}" y2="${y(v).toFixed(1)}" stroke="#333"/>`,
        `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${n(v)}</text>`,
      ].join(""),
    ),
    ...ticks(last).map((m) => {
      const at = x(m / size).toFixed(1);
      return `<line x1="${at}" y1="${top + plotH}" x2="${at}" y2="${top + plotH + 4}" stroke="#333"/><text x="${at}" y="${top + plotH + 16}" text-anchor="middle">${n(m)}</text>`;
    }),
    `<text x="${left + plotW / 2}" y="${h - 6}" text-anchor="middle">minute</text>`,
    // A Rollout's wave starts: a dashed line and the wave's name at the minute it was released.
    ...(r.waves ?? [])
      .filter((wave) => wave.startMinute !== null)
      .map((wave) => {
        const at = x(wave.startMinute! / size).toFixed(1);
        return `<line x1="${at}" y1="${top}" x2="${at}" y2="${top + plotH}" stroke="#756bb1" stroke-dasharray="4 3"/><text x="${at}" y="${top - 4}" text-anchor="middle" fill="#756bb1">${esc(wave.name)}</text>`;
      }),
    ...buckets.map(
      (b, i) =>
        `<rect x="${(x(i) - barW / 2).toFixed(1)}" y="${y(b.notified).toFixed(1)}" width="${barW.toFixed(1)}" height="${(top + plotH - y(b.notified)).toFixed(1)}" fill="#9ecae1"/>`,
    ),
    line(
      buckets.map((b) => b.succeeded),
      "#31a354",
    ),
    line(buckets.map(failures), "#de2d26"),
    `<g transform="translate(${w - 330},14)"><rect width="10" height="10" fill="#9ecae1"/><text x="14" y="10">notified</text>`,
    `<rect x="80" y="4" width="14" height="2" fill="#31a354"/><text x="98" y="10">succeeded</text>`,
    `<rect x="176" y="4" width="14" height="2" fill="#de2d26"/><text x="194" y="10">failed, rejected, timed out</text></g>`,
    `</svg>`,
    "",
  ].join("\n");
}

export function renderRehearsal(r: Rehearsal, format: RehearsalFormat): string {
  if (format === "json") return `${JSON.stringify(r, null, 2)}\n`;
  return format === "markdown" ? renderMarkdown(r) : renderText(r);
}
