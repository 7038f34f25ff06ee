/**
 * Whole-program checks, once the preview has run the whole program (before
 * a deploy's first change, as a deploy's own check, and in every preview):
 *
 * - **collisions**: two addresses that would own one physical id of one kind
 *   in one location (ids `fw.1` and `fw-1`, one jobId declared in two scopes);
 * - **moves**: an address the program no longer declares recorded the
 *   physical id another address now declares (a new resource id, another
 *   scope): the state follows, nothing is created or deleted, and the
 *   create's "name taken" is no problem; a recorded id another declared
 *   address already records is a stale record, removed without a call;
 * - **references** the program does not declare: they must exist (read when
 *   the preview may read: --refresh, or as a deploy's check; else noted);
 * - declared resources whose props are invalid are not planned for deletion.
 *
 * Problems are returned, one per fault, naming the resource, the prop and
 * the rule; the deploy refuses when there is any.
 */
import type { ChangeRecord, ProblemRecord } from "../provider/engine/recorder.ts";
import { kindOf } from "../provider/engine/kinds.ts";
import { retag } from "../provider/engine/moves.ts";
import { UNKNOWN } from "../provider/unknown.ts";
import { entryOf } from "./entries.ts";
import type { PlanEntry, PlanMove, PlanProblem } from "./plan.ts";

export interface Checked {
  resources: PlanEntry[];
  problems: PlanProblem[];
  moves: PlanMove[];
}

const label = (e: { type: string; name: string }) => `${kindOf(e.type)?.label ?? e.type} "${e.name}"`;
const key = (e: { type: string; location?: string; physicalId?: string }) => `${e.type}|${e.location ?? ""}|${e.physicalId ?? ""}`;
/** Will the resource exist after the deploy (created, kept, updated, moved or replaced)? */
const exists = (e: PlanEntry) => !e.notPlanned && (e.actions.includes("create") || ["update", "no-op", "move"].includes(e.actions[0]));
const known = (e: PlanEntry) => !!e.physicalId && e.physicalId !== "(known after deploy)" && e.physicalId !== UNKNOWN && !!e.location;

/**
 * Checks the plan's entries (`records`: the engine's record behind each
 * entry, by the entry object) against each other. `reads`: whether
 * references may be read (undeclared ones are otherwise only noted).
 */
export async function checkWholeProgram(
  entries: PlanEntry[],
  records: Map<PlanEntry, ChangeRecord>,
  recorded: ProblemRecord[],
  reads: boolean,
): Promise<Checked> {
  const invalid = new Set(recorded.filter((p) => !p.taken).map((p) => p.address));
  // A declared resource whose props are invalid is not planned for deletion (its state is kept).
  let resources = entries.filter((e) => !(invalid.has(e.address) && e.actions[0] === "delete" && e.actions.length === 1));
  const moves: PlanMove[] = [];
  /** Is `here` the create of a resource another address recorded (a move), rather than one that records it already? */
  const moved = (here: PlanEntry, record: ChangeRecord | undefined) =>
    here.actions.length === 1 && here.actions[0] === "create" && !here.adopt && !!record?.subject?.desired;

  // Resources that will exist after the deploy, by kind, location and physical id.
  const present = new Map<string, PlanEntry[]>();
  for (const e of resources) if (exists(e) && known(e)) present.set(key(e), [...(present.get(key(e)) ?? []), e]);

  // Moves and stale records: a deleted address whose physical id another address holds after the deploy.
  for (const gone of resources.filter((e) => e.actions.length === 1 && e.actions[0] === "delete" && known(e))) {
    const holders = (present.get(key(gone)) ?? []).filter((e) => e.address !== gone.address);
    if (holders.length !== 1) continue;
    const [here] = holders;
    const from = records.get(gone)?.subject?.recorded;
    const ids = Object.fromEntries(
      Object.entries(from?.facts.extra ?? {}).filter(([k, v]) => k.endsWith("Id") && typeof v === "string" && v !== UNKNOWN),
    ) as Record<string, string>;
    moves.push({
      from: gone.address,
      to: here.address,
      type: gone.type,
      physicalId: gone.physicalId!,
      location: gone.location!,
      ...(Object.keys(ids).length ? { ids } : {}),
    });
    const record = records.get(here);
    const isMove = moved(here, record);
    if (isMove && from && record?.subject?.desired) {
      // The address changed: plan the resource from what the old address recorded, as the deploy will from what it reads.
      const { kind, desired } = record.subject;
      const change = kind.decide({ state: from.state, facts: from.facts, live: false }, desired);
      if (kind.tagged) change.operations.unshift(retag(desired, from.facts.arn));
      change.notes.unshift(
        `moved from ${gone.address}: the state follows, nothing is created or deleted${kind.tagged ? "; its ownership tags are rewritten to name this address" : ""}`,
      );
      const entry = entryOf({ ...record, phase: "update", change, before: (gone.before as Record<string, unknown> | null) ?? null });
      const replaced: PlanEntry = {
        ...entry,
        location: here.location,
        movedFrom: gone.address,
        actions: change.action === "replace" ? entry.actions : ["move"],
        deviceImpact: here.deviceImpact,
      };
      resources = resources.map((e) => (e === here ? replaced : e));
    }
    // The old address's record goes without a call: part of the move, or (another address records it already) a stale record.
    resources = isMove
      ? resources.filter((e) => e !== gone)
      : resources.map((e) =>
          e === gone
            ? {
                ...e,
                operations: [],
                warnings: [],
                deviceImpact: undefined,
                notes: [
                  `${kindOf(e.type)?.noun ?? e.type} ${e.physicalId} is ${here.address}'s: only this stale record is removed; nothing is deleted`,
                ],
              }
            : e,
        );
  }

  const problems: PlanProblem[] = recorded
    .filter((p) => !(p.taken && moves.some((m) => m.to === p.address)))
    .map(({ address, type, name, path, message }) => ({ address, type, name, ...(path ? { path } : {}), message }));

  // Collisions: one physical id, two addresses that would both own it.
  for (const holders of present.values()) {
    const addresses = [...new Set(holders.map((e) => e.address))];
    if (addresses.length < 2) continue;
    for (const e of holders) {
      const others = addresses.filter((a) => a !== e.address);
      const prop = kindOf(e.type)?.idMember ?? "physical id";
      problems.push({
        address: e.address,
        type: e.type,
        name: e.name,
        path: prop,
        message: `${label(e)}: ${prop} "${e.physicalId}" is also the ${prop} of ${others.join(", ")} in ${e.location!.replace("|", ", ")}: one ${kindOf(e.type)?.noun ?? e.type} can be owned by one resource only (set ${prop} explicitly, or change a resource id)`,
      });
    }
  }

  // References the program does not declare: they must exist.
  const declared = new Set([...present.keys()]);
  await Promise.all(
    resources.map(async (e) => {
      const record = records.get(e);
      for (const ref of record?.references ?? []) {
        if (declared.has(`${ref.type}|${record!.location ?? ""}|${ref.id}`)) continue;
        if (!reads) {
          e.notes.push(
            `${ref.path} names ${ref.id}, which the program does not declare: a deploy checks that it exists (a preview does with --refresh)`,
          );
          continue;
        }
        if (!(await ref.exists())) {
          const noun = kindOf(ref.type)?.noun ?? ref.type;
          problems.push({
            address: e.address,
            type: e.type,
            name: e.name,
            path: ref.path,
            message: `${label(e)}: ${ref.path}: ${noun} "${ref.id}" does not exist in ${ref.where}, and the program does not declare it`,
          });
        }
      }
    }),
  );
  problems.sort((a, b) => a.address.localeCompare(b.address) || a.message.localeCompare(b.message));
  return { resources, problems, moves };
}
