/**
 * A preview session: while it is open, a program runs exactly as in a
 * deploy, with the same resource handlers, and two differences:
 *
 * - every scope's state store becomes an overlay (reads through, writes kept
 *   in memory), so Alchemy changes no state;
 * - a recorder is installed: the engine (src/provider/engine/handler.ts) records
 *   each resource's Change instead of executing it, and IoT clients refuse
 *   any call that is not a read.
 *
 * Resources of other providers are listed as not planned and keep their last
 * outputs. Needs the hooks of globals.ts, installed before Alchemy loads.
 */
import { ResourceFQN, ResourceID, ResourceKind, Scope } from "alchemy";
import { diffValues } from "../provider/engine/change.ts";
import { kindOf } from "../provider/engine/kinds.ts";
import { installRecorder, type ChangeRecord, type ProblemRecord } from "../provider/engine/recorder.ts";
import { recordedLocation, type DeployedWhere } from "../provider/location.ts";
import { checkWholeProgram } from "./checks.ts";
import { driftOf, entryOf, measureImpact } from "./entries.ts";
import { setHooks } from "./globals.ts";
import { isOwnKind, participates, refusingProvider } from "./providers.ts";
import { isOverlay, overlayStore, resetOverlays } from "./overlay.ts";
import { alchemySerde } from "./serde.ts";
import { FORMAT_VERSION, present, summarize, type DriftEntry, type Plan, type PlanAction, type PlanEntry } from "./plan.ts";

export interface Session {
  /** The plan of what the program declared since the session started. */
  plan(): Promise<Plan>;
  /** Closes the session: state stores and providers are the real ones again. */
  end(): void;
}

interface ForeignContext {
  phase: "create" | "update" | "delete";
  id: string;
  fqn: string;
  output: unknown;
  props: unknown;
  destroy(): never;
}

const blank = (): Pick<PlanEntry, "replaceReasons" | "diffs" | "sensitivePaths" | "operations" | "warnings" | "notes"> => ({
  replaceReasons: [],
  diffs: [],
  sensitivePaths: [],
  operations: [],
  warnings: [],
  notes: [],
});

export interface SessionOptions {
  /** Read every live resource and report drift (--refresh; Alchemy runs every handler, with --force). */
  refresh: boolean;
  /**
   * Read what the whole-program checks need (ownership of what changes,
   * references the program does not declare), without --refresh's reads:
   * a deploy's own check before its first change. Implied by `refresh`.
   */
  verify?: boolean;
}

export function startSession(options: SessionOptions): Session {
  /** Entries by address and physical id (an old resource deleted at the end of a deploy has the address of its successor). */
  const entries = new Map<string, PlanEntry>();
  const drift: DriftEntry[] = [];
  const locations = new Set<string>();
  const scopes = new Set<Scope>();
  const key = (e: Pick<PlanEntry, "address" | "physicalId">) => `${e.address}|${e.physicalId ?? ""}`;
  const wrappedProviders = new Map<string, unknown>();
  /** Device impacts being measured (jobs; reads only with --refresh): the plan waits for them. */
  const measuring: Promise<void>[] = [];
  /** The engine's record behind each entry, and the problems it found (src/preview/checks.ts). */
  const records = new Map<PlanEntry, ChangeRecord>();
  const problems: ProblemRecord[] = [];

  function enterScope(value: unknown): void {
    const scope = value as Scope;
    if (!scope || typeof scope !== "object" || !("state" in scope)) return;
    scopes.add(scope);
    if (!isOverlay(scope.state)) (scope as { state: Scope["state"] }).state = overlayStore(scope, scope.state, alchemySerde);
  }

  /** Resources of other providers: listed, not planned, and never run. */
  function foreignHandler(kind: string) {
    return async function (this: ForeignContext, _id: string, props: unknown) {
      const action: PlanAction = this.phase === "delete" ? "delete" : this.phase === "create" ? "create" : "update";
      const entry: PlanEntry = {
        ...blank(),
        address: this.fqn,
        type: kind,
        name: this.id,
        actions: [action],
        before: action === "create" ? null : present(this.props ?? null),
        after: action === "delete" ? null : present(props ?? null),
        diffs: action === "update" ? diffValues(present(this.props), present(props)).map((d) => ({ ...d, forcesReplacement: false })) : [],
        notes: [`${kind} is not a resource of alchemy-iot-jobs: this preview lists it but cannot say what its provider will do`],
        notPlanned: true,
      };
      entries.set(key(entry), entry);
      if (this.phase === "delete") return this.destroy();
      return this.output ?? {};
    };
  }

  setHooks({
    enterScope,
    provider(kind, provider) {
      // This package's resources run their own handlers (the engine records instead of executing), if their copy takes part.
      if (isOwnKind(kind)) return participates(provider) ? provider : refusingProvider(kind, "preview");
      let wrapped = wrappedProviders.get(kind);
      if (!wrapped) {
        wrapped = { type: kind, options: (provider as { options?: unknown }).options, handler: foreignHandler(kind) };
        wrappedProviders.set(kind, wrapped);
      }
      return wrapped;
    },
  });

  installRecorder({
    refresh: options.refresh,
    verify: options.verify ?? options.refresh,
    change(record) {
      const entry = entryOf(record);
      entries.set(key(entry), entry);
      records.set(entry, record);
      if (record.change.impact) measuring.push(measureImpact(entry, record.change.impact));
    },
    problem(record) {
      problems.push(record);
    },
    drift(record) {
      drift.push(driftOf(record));
    },
    read(kind, name, value) {
      const scope = Scope.getScope();
      const address = `${scope ? `${scope.chain.join("/")}/` : ""}${kind}(${name})`;
      const entry: PlanEntry = { ...blank(), address, type: `data::${kind}`, name, actions: ["read"], before: null, after: present(value) };
      entries.set(key(entry), entry);
    },
    location(description) {
      locations.add(description);
    },
  });

  /** Resources the program declared whose handler did not run: unchanged (Alchemy skipped them). */
  async function unchangedEntries(): Promise<PlanEntry[]> {
    const seen = new Set([...entries.values()].map((e) => e.address));
    const out: PlanEntry[] = [];
    for (const scope of scopes) {
      for (const pending of scope.resources.values()) {
        const p = pending as unknown as Record<symbol, string>;
        const kind = p[ResourceKind];
        const fqn = p[ResourceFQN];
        if (kind === "alchemy::Scope" || seen.has(fqn)) continue;
        seen.add(fqn);
        const output = (await (pending as unknown as Promise<Record<string, unknown>>).catch(() => undefined)) ?? {};
        const idMember = kindOf(kind)?.idMember;
        const physicalId = idMember ? (output[idMember] as string | undefined) : undefined;
        const where = recordedLocation(output as DeployedWhere);
        const location = typeof where === "string" ? `${where}|${output.region ?? ""}` : undefined;
        out.push({
          ...blank(),
          address: fqn,
          type: kind,
          name: p[ResourceID],
          ...(typeof physicalId === "string" ? { physicalId } : {}),
          ...(location ? { location } : {}),
          actions: ["no-op"],
          before: null,
          after: null,
        });
      }
    }
    return out;
  }

  return {
    async plan() {
      await Promise.all(measuring);
      const checked = await checkWholeProgram(
        [...entries.values(), ...(await unchangedEntries())],
        records,
        problems,
        options.refresh || !!options.verify,
      );
      const all = checked.resources.sort((a, b) => a.address.localeCompare(b.address));
      const root = [...scopes].find((s) => !s.parent);
      return {
        formatVersion: FORMAT_VERSION,
        app: root?.appName ?? "",
        stage: [...scopes].find((s) => s.parent === root)?.stage ?? root?.stage ?? "",
        locations: [...locations].sort(),
        refreshed: options.refresh,
        summary: summarize(all),
        resources: all,
        drift: drift.sort((a, b) => a.address.localeCompare(b.address)),
        problems: checked.problems,
        moves: checked.moves,
      };
    },
    end() {
      setHooks(undefined);
      installRecorder(undefined);
      resetOverlays();
    },
  };
}
