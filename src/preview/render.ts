/**
 * Renders a plan for terminals (text), pull-request comments (Markdown) and
 * machines (JSON). Output is deterministic for a given plan: resources are
 * sorted by address, so successive comments diff cleanly.
 */
import type { PlannedOperation } from "../provider/engine/operations.ts";
import {
  type DeviceImpact,
  hasChanges,
  isChange,
  isReplace,
  summaryLine,
  type Plan,
  type PlanDiff,
  type PlanEntry,
  type PlanSummary,
} from "./plan.ts";

export type Format = "text" | "markdown" | "json";

export interface RenderOptions {
  /** ANSI colours (text only). */
  color?: boolean;
  /** Also list unchanged resources. */
  verbose?: boolean;
  /** Markdown size limit. @default 65536 (GitHub's comment limit) */
  maxLength?: number;
  /** How to see the full plan, for the Markdown truncation note. */
  fullPlanHint?: string;
}

export function render(plan: Plan, format: Format, options: RenderOptions = {}): string {
  if (format === "json") return renderJson(plan);
  if (format === "markdown") return renderMarkdown(plan, options);
  return renderText(plan, options);
}

export function renderJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

// ------------------------------------------------------------------ shared

export function symbol(e: PlanEntry): string {
  if (isReplace(e)) return e.actions[0] === "delete" ? "-/+" : "+/-";
  switch (e.actions[0]) {
    case "create":
      return "+";
    case "update":
      return "~";
    case "delete":
      return "-";
    case "read":
      return "<=";
    case "move":
      return "->";
    default:
      return e.adopt ? "=" : " ";
  }
}

export function actionWord(e: PlanEntry): string {
  if (isReplace(e)) return e.actions[0] === "delete" ? "replace (delete first)" : "replace (create first)";
  if (e.notPlanned) return `${e.actions[0]} (not planned)`;
  if (e.adopt) return e.actions[0] === "no-op" ? "adopt (no change)" : `adopt, ${e.actions[0]}`;
  if (e.movedFrom) return `move from ${e.movedFrom}${isReplace(e) ? ", replace" : ""}`;
  return e.actions[0] === "no-op" ? "no change" : e.actions[0];
}

const MAX_VALUE = 160;
export function formatValue(v: unknown): string {
  if (v === undefined) return "(none)";
  if (v === "(sensitive)" || v === "(known after deploy)") return String(v);
  const text = JSON.stringify(v) ?? String(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function formatOperation(o: PlannedOperation): string {
  return `${o.operation} ${o.resource}${o.condition ? ` (${o.condition})` : ""}`;
}

const pretty = (v: unknown) => JSON.stringify(v, null, 2) ?? String(v);

/** Lines describing what changes: the whole resource for a create, per-path diffs otherwise. */
function detailLines(e: PlanEntry): string[] {
  const lines: string[] = [];
  if (e.actions[0] === "create" && !isReplace(e) && e.after && typeof e.after === "object") {
    for (const [k, v] of Object.entries(e.after as Record<string, unknown>)) {
      if (v === undefined || (v !== null && typeof v === "object" && Object.keys(v).length === 0)) continue;
      if (k === "document" && v !== null && typeof v === "object") {
        lines.push(`+ document:`);
        for (const l of pretty(v).split("\n")) lines.push(`    ${l}`);
      } else if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
        for (const [k2, v2] of Object.entries(v)) lines.push(`+ ${k}.${k2}: ${formatValue(v2)}`);
      } else {
        lines.push(`+ ${k}: ${formatValue(v)}`);
      }
    }
    return lines;
  }
  for (const d of e.diffs) lines.push(diffLine(d));
  return lines;
}

function diffLine(d: PlanDiff): string {
  const mark = d.before === undefined ? "+" : d.after === undefined ? "-" : "~";
  const change =
    d.before === undefined
      ? formatValue(d.after)
      : d.after === undefined
        ? `${formatValue(d.before)} (removed)`
        : `${formatValue(d.before)} → ${formatValue(d.after)}`;
  return `${mark} ${d.path}: ${change}${d.forcesReplacement ? "   # forces replacement" : ""}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** A duration in whole minutes, for people: "45 min", "2 h 5 min", "3 d 4 h". */
export function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
  const hours = Math.floor(minutes / 60) % 24;
  return `${Math.floor(minutes / (24 * 60))} d${hours ? ` ${hours} h` : ""}`;
}

const WITHOUT_REFRESH = "unknown without --refresh";

/** How many devices, in words: what `devices` counts depends on the change. */
function devicesWords(i: DeviceImpact): string {
  if (i.devices === null) return i.unknownReason === WITHOUT_REFRESH ? WITHOUT_REFRESH : `unknown (${i.unknownReason ?? "not counted"})`;
  const d = plural(i.devices, "device");
  const one = i.devices === 1;
  switch (i.change) {
    case "create":
      return `${d} ${one ? "receives" : "receive"} the job`;
    case "replace":
      return `${d} ${one ? "runs" : "run"} the job again (every device of the new targets)`;
    case "add-targets":
      return `${d} newly reached (members of the added groups that the job had not reached); no other device runs it again`;
    case "update":
      return "0, no device runs the job again";
    default:
      return `${d} ${one ? "stops" : "stop"} receiving the job`;
  }
}

/**
 * One line on what a job change does to devices: how many it reaches, the
 * executions in progress it cancels, how long until all are notified, how
 * many may fail before the abort criteria stop it.
 */
export function impactLine(i: DeviceImpact): string {
  const parts = [`devices: ${devicesWords(i)}`];
  if (i.installs?.length) parts.push(`installs ${i.installs.join(", ")}`);
  if (i.change === "replace" || i.change === "delete") {
    if (i.inProgress === null) parts.push(`executions in progress: ${WITHOUT_REFRESH}`);
    else if (i.inProgress === 0) parts.push("no execution in progress");
    else if (i.forceCancel)
      parts.push(`${plural(i.inProgress, "execution")} in progress ${i.inProgress === 1 ? "is" : "are"} force-cancelled`);
    else parts.push(`${plural(i.inProgress, "execution")} in progress: the deploy stops without deletion.force`);
  }
  if (i.minutesToNotifyAll !== null && i.devices) parts.push(`all notified within ${formatMinutes(i.minutesToNotifyAll)}`);
  if (i.maxFailuresBeforeAbort !== null && i.devices)
    parts.push(`at most ${plural(i.maxFailuresBeforeAbort, "device")} can fail before the abort criteria stop the job`);
  return parts.join("; ");
}

/** The plan's Devices column: how many devices, briefly. */
function devicesCell(i: DeviceImpact | undefined): string {
  if (!i) return "";
  if (i.devices === null) return i.unknownReason === WITHOUT_REFRESH ? "unknown (needs --refresh)" : "unknown";
  const running = i.inProgress
    ? `, ${i.inProgress.toLocaleString("en-US")} in progress ${i.forceCancel ? "force-cancelled" : "(the deploy stops)"}`
    : "";
  return `${i.devices.toLocaleString("en-US")}${i.change === "add-targets" ? " new" : ""}${running}`;
}

/** The problems, one line each: the deploy refuses while there is any. */
function problemLines(plan: Plan): string[] {
  const n = plan.problems.length;
  if (n === 0) return [];
  return [
    `✖ ${plural(n, "problem")}: a deploy of this program changes nothing and exits 1 until ${n === 1 ? "it is" : "they are"} fixed.`,
    ...plan.problems.map((p) => `  - ${p.message}`),
  ];
}

function countsLine(s: PlanSummary): string {
  const parts = [`${s.noChange} unchanged`, `${s.read} read`];
  if (s.notPlanned > 0) parts.push(`${s.notPlanned} not planned (other providers)`);
  return `${parts.join(", ")}.`;
}

/** Entries worth listing: changes, reads, and adoptions (even unchanged ones: state takes them over). */
function changed(plan: Plan): PlanEntry[] {
  return plan.resources.filter((e) => e.actions[0] !== "no-op" || e.adopt);
}

function adoptedLine(plan: Plan): string | undefined {
  const unchanged = plan.resources.filter((e) => e.adopt && e.actions[0] === "no-op");
  if (unchanged.length === 0) return undefined;
  return `${unchanged.length} existing resource${unchanged.length === 1 ? " is" : "s are"} adopted unchanged (taken into state, no API call changes them).`;
}

// ------------------------------------------------------------------ text

const ANSI = { green: 32, yellow: 33, red: 31, cyan: 36, magenta: 35, gray: 90, bold: 1 } as const;

export function renderText(plan: Plan, options: RenderOptions = {}): string {
  const c = (color: keyof typeof ANSI, s: string) => (options.color ? `\x1b[${ANSI[color]}m${s}\x1b[0m` : s);
  const colorOf = (e: PlanEntry): keyof typeof ANSI =>
    isReplace(e)
      ? "magenta"
      : (({ create: "green", update: "yellow", delete: "red", read: "cyan", move: "yellow" } as const)[e.actions[0] as "create"] ?? "gray");
  const out: string[] = [];
  out.push(c("bold", `Preview of ${plan.app}, stage ${plan.stage}${plan.refreshed ? " (live resources refreshed)" : ""}`));
  for (const t of plan.locations) out.push(`IoT location: ${t}`);
  out.push("");
  const problems = problemLines(plan);
  if (problems.length > 0) out.push(...problems.map((l) => c("red", l)), "");
  const shown = options.verbose ? plan.resources : changed(plan);
  if (!plan.resources.some(isChange)) out.push("  No changes. The deployed resources match the program.");
  for (const e of shown) {
    const id = e.physicalId && e.physicalId !== e.name ? ` (${e.physicalId})` : "";
    out.push(c(colorOf(e), `${symbol(e).padStart(3)} ${e.type}  ${e.name}${id}  ${actionWord(e)}`));
    for (const w of e.warnings) out.push(c("red", `      ⚠ WARNING: ${w}`));
    if (e.deviceImpact) {
      out.push(c("yellow", `      ${impactLine(e.deviceImpact)}`));
      for (const n of e.deviceImpact.notes) out.push(c("gray", `      # devices: ${n}`));
    }
    for (const r of e.replaceReasons) out.push(c("magenta", `      # ${r}`));
    for (const n of e.notes) out.push(c("gray", `      # ${n}`));
    for (const l of detailLines(e)) out.push(`      ${l}`);
    if (e.operations.length > 0) out.push(c("gray", `      calls: ${e.operations.map(formatOperation).join("; ")}`));
  }
  if (plan.drift.length > 0) {
    out.push("", c("bold", "Drift (changed outside this program, read with --refresh):"));
    for (const d of plan.drift) {
      out.push(c("red", `  ! ${d.type}  ${d.address}${d.physicalId ? ` (${d.physicalId})` : ""}: ${d.note}`));
      for (const diff of d.diffs) out.push(`      ${diffLine(diff)}`);
    }
  }
  out.push("", c("bold", summaryLine(plan.summary)), countsLine(plan.summary));
  const adopted = adoptedLine(plan);
  if (adopted) out.push(adopted);
  for (const n of plan.notes ?? []) out.push(c("yellow", `Note: ${n}.`));
  return `${out.join("\n")}\n`;
}

// ------------------------------------------------------------------ markdown

const MARKDOWN_LIMIT = 65_536;
const escapeCell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

function markdownDetails(e: PlanEntry): string {
  const lines = [
    ...e.warnings.map((w) => `⚠ WARNING: ${w}`),
    ...(e.deviceImpact ? [`# ${impactLine(e.deviceImpact)}`, ...e.deviceImpact.notes.map((n) => `# devices: ${n}`)] : []),
    ...e.replaceReasons.map((r) => `# ${r}`),
    ...e.notes.map((n) => `# ${n}`),
    ...detailLines(e),
    ...(e.operations.length > 0 ? [`# calls: ${e.operations.map(formatOperation).join("; ")}`] : []),
  ].map((l) => (l.startsWith("+ ") || l.startsWith("- ") || l.startsWith("~ ") || l.startsWith("#") || l.startsWith("⚠") ? l : `  ${l}`));
  const body = lines
    .map((l) => (l.startsWith("~ ") ? `! ${l.slice(2)}` : l))
    .join("\n")
    .replace(/```/g, "'''");
  return [
    `<details><summary>${escapeHtml(symbol(e))} <code>${escapeHtml(e.name)}</code> (${e.type}) ${actionWord(e)}</summary>`,
    "",
    "```diff",
    body,
    "```",
    "",
    "</details>",
  ].join("\n");
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The first line of every Markdown preview: `<!-- alchemy-iot-jobs-preview app=<app> stage=<stage> -->`. */
export function previewMarker(plan: Pick<Plan, "app" | "stage">): string {
  return `<!-- alchemy-iot-jobs-preview app=${plan.app.replace(/-->/g, "")} stage=${plan.stage.replace(/-->/g, "")} -->`;
}

export function renderMarkdown(plan: Plan, options: RenderOptions = {}): string {
  const limit = options.maxLength ?? MARKDOWN_LIMIT;
  const hint = options.fullPlanHint ?? "run `npx alchemy-iot-jobs preview --format text` locally, or see the JSON plan (`--format json`)";
  const rows = changed(plan);
  const head: string[] = [];
  // Invisible on GitHub; lets a workflow find and update its one comment per app and stage.
  head.push(previewMarker(plan));
  head.push(`### IoT preview: ${code(plan.app)}, stage ${code(plan.stage)}`, "");
  head.push(`**${summaryLine(plan.summary)}** ${countsLine(plan.summary)}`, "");
  if (plan.locations.length > 0) head.push(`IoT location: ${plan.locations.map(escapeHtml).join("; ")}`, "");
  if (plan.problems.length > 0) {
    const [first, ...rest] = problemLines(plan);
    head.push("> [!CAUTION]", `> **${escapeHtml(first.replace(/^✖ /, ""))}**`, ...rest.map((l) => `> ${escapeHtml(l.trim())}`), "");
  }
  for (const n of plan.notes ?? []) head.push(`> **Note:** ${escapeHtml(n)}.`, "");
  const warnings = rows.flatMap((e) => e.warnings.map((w) => `> - ${escapeHtml(w)}`));
  if (warnings.length > 0) head.push("> [!WARNING]", "> Changes that affect devices:", ...warnings, "");
  if (plan.drift.length > 0) {
    head.push("#### Drift (changed outside this program)", "");
    for (const d of plan.drift) head.push(`- ${code(d.address)}${d.physicalId ? ` (${code(d.physicalId)})` : ""}: ${escapeHtml(d.note)}`);
    head.push("");
  }
  const adopted = adoptedLine(plan);
  if (!rows.some(isChange)) {
    head.push("No changes. The deployed resources match the program.");
    if (adopted) {
      head.push("", adopted, "");
      for (const e of rows.filter((r) => r.adopt))
        head.push(`- ${code(e.name)} (${escapeHtml(e.type)}): ${escapeHtml(e.notes[0] ?? "adopted")}`);
    }
    return `${head.join("\n")}\n`;
  }
  if (adopted) head.push(adopted, "");

  // A Devices column when jobs change (what each change does to devices; details below).
  const devices = rows.some((e) => e.deviceImpact);
  const tableHead = devices
    ? ["| | Resource | Type | Action | Devices | Why |", "|---|---|---|---|---|---|"]
    : ["| | Resource | Type | Action | Why |", "|---|---|---|---|---|"];
  const row = (e: PlanEntry) =>
    `| ${escapeCell(symbol(e))} | ${code(e.name)} | ${escapeCell(e.type)} | ${escapeCell(actionWord(e))} |${devices ? ` ${escapeCell(devicesCell(e.deviceImpact))} |` : ""} ${escapeCell(e.replaceReasons.join("; "))} |`;
  const truncationNote = (omitted: number) =>
    `\n> **The plan is too long for one comment: ${omitted} more resource${omitted === 1 ? " is" : "s are"} not shown.** To see the full plan, ${hint}.\n`;
  // Reserve room for the truncation note.
  const budget = limit - truncationNote(rows.length).length - 64;
  let text = `${head.join("\n")}\n${tableHead.join("\n")}\n`;
  let inTable = 0;
  for (const e of rows) {
    const line = `${row(e)}\n`;
    if (text.length + line.length > budget) break;
    text += line;
    inTable++;
  }
  let detailed = 0;
  if (inTable === rows.length) {
    text += "\n";
    for (const e of rows) {
      if (e.actions[0] === "read") {
        detailed++;
        continue;
      }
      const block = `${markdownDetails(e)}\n\n`;
      if (text.length + block.length > budget) break;
      text += block;
      detailed++;
    }
  }
  if (inTable < rows.length) text += truncationNote(rows.length - inTable);
  else if (detailed < rows.length) {
    text += `\n> **The plan is too long for one comment: the details of ${rows.length - detailed} resource${rows.length - detailed === 1 ? " are" : "s are"} not shown.** To see the full plan, ${hint}.\n`;
  }
  return text;
}

export { hasChanges };
