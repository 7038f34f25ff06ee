/**
 * The preview runtime, loaded into the process that runs the program (after
 * globals.ts). It plans instead of deploying:
 *
 * - every scope's state store becomes an overlay (reads through, writes kept
 *   in memory), so Alchemy runs exactly as in a deploy but changes no state;
 * - this package's resources run planners: the same validation, desired state
 *   and change decision as their handlers, with no mutating call (clients
 *   refuse them while a recorder is installed); resources of other providers
 *   are listed as not planned and keep their last outputs;
 * - resources removed from the program reach the planners' delete path
 *   through Alchemy's own finalize;
 * - when the program ends, the plan goes to the parent over IPC.
 */
import {
  DescribeJobCommand,
  DescribeJobTemplateCommand,
  DescribeThingCommand,
  DescribeThingGroupCommand,
  type IoTClient,
} from "@aws-sdk/client-iot";
import { deserialize, ResourceFQN, ResourceID, ResourceKind, ResourceScope, Scope, serialize, type State } from "alchemy";
import {
  decideJobDelete,
  decideJobTemplateDelete,
  decideSimpleDelete,
  diffValues,
  parseDocument,
  type Change,
} from "../iot/changes.ts";
import { assertLocalDataPresent, localInstanceOf, resolveIoT, type IoTTarget } from "../iot/client.ts";
import { ifFound, resolveDeployed, withoutTarget } from "../iot/common.ts";
import { TERMINAL_JOB_STATUSES } from "../iot/constraints.ts";
import {
  checkJobStack,
  checkManagedByArn,
  checkSchedule,
  deployedJob,
  desiredJob,
  findExistingJob,
  planJob,
  planJobAdoption,
  type Job,
  type JobProps,
} from "../iot/job.ts";
import {
  checkTemplateStack,
  deployedTemplate,
  desiredTemplate,
  findExistingTemplate,
  liveTemplateSpec,
  planJobTemplate,
  planTemplateAdoption,
  templateMatches,
  type JobTemplate,
  type JobTemplateProps,
} from "../iot/job-template.ts";
import { installRecorder } from "../iot/plan-hooks.ts";
import { deployedThing, desiredThing, planThing, type Thing, type ThingProps } from "../iot/thing.ts";
import {
  deployedThingGroup,
  desiredThingGroup,
  planThingGroup,
  type ThingGroup,
  type ThingGroupProps,
} from "../iot/thing-group.ts";
import { UNKNOWN } from "../iot/unknown.ts";
import { formatFailure } from "../failure.ts";
import { setHooks } from "./globals.ts";
import { isOverlay, overlayStore, type Serde } from "./overlay.ts";
import {
  FORMAT_VERSION,
  present,
  presentDiff,
  summarize,
  type DriftEntry,
  type Plan,
  type PlanAction,
  type PlanDiff,
  type PlanEntry,
} from "./plan.ts";

const refresh = process.env.ALCHEMY_IOT_PREVIEW_REFRESH === "1";
const entries = new Map<string, PlanEntry>();
const drift: DriftEntry[] = [];
const targets = new Set<string>();
const scopes = new Set<Scope>();

// ------------------------------------------------------------------ state overlay

const serde: Serde = {
  async freeze(scope, state) {
    return JSON.stringify(await serialize(scope, state));
  },
  async revive(scope, text) {
    const state = (await deserialize(scope, JSON.parse(text))) as State;
    state.output ??= {} as State["output"];
    (state.output as unknown as Record<symbol, unknown>)[ResourceScope] = scope;
    return state;
  },
};

function enterScope(value: unknown): void {
  const scope = value as Scope;
  if (!scope || typeof scope !== "object" || !("state" in scope)) return;
  scopes.add(scope);
  if (!isOverlay(scope.state)) {
    (scope as { state: Scope["state"] }).state = overlayStore(scope, scope.state, serde);
  }
}

// ------------------------------------------------------------------ entries

interface Ctx {
  phase: "create" | "update" | "delete";
  id: string;
  fqn: string;
  scope: Scope;
  output: any;
  props: any;
  destroy(): never;
}

function actionsOf(change: Change): PlanAction[] {
  switch (change.action) {
    case "replace":
      return change.replaceMode === "delete-first" ? ["delete", "create"] : ["create", "delete"];
    case "none":
      return ["no-op"];
    default:
      return [change.action];
  }
}

/** Collapses the diffs under a secret prop into one line, so not even its structure shows. */
function maskDiffs(diffs: PlanDiff[], sensitive: string[]): PlanDiff[] {
  const out: PlanDiff[] = [];
  const collapsed = new Set<string>();
  for (const d of diffs) {
    const root = sensitive.find((s) => d.path === s || d.path.startsWith(`${s}.`) || d.path.startsWith(`${s}[`));
    if (root === undefined) {
      out.push(presentDiff(d, sensitive));
    } else if (!collapsed.has(root)) {
      collapsed.add(root);
      out.push({ path: root, before: d.before === undefined && d.path === root ? undefined : "(sensitive)", after: "(sensitive)", forcesReplacement: d.forcesReplacement });
    }
  }
  return out;
}

/** A spec as a plan shows it: documents as JSON values, tags alongside. */
function view(spec: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> | null {
  if (!spec) return null;
  const out: Record<string, unknown> = { ...spec, ...extra };
  if (typeof out.document === "string") out.document = parseDocument(out.document);
  return out;
}

function record(
  ctx: Ctx,
  type: string,
  change: Change,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  sensitive: Set<string>,
  physicalId: string | undefined,
): void {
  const paths = [...sensitive].sort();
  entries.set(ctx.fqn, {
    address: ctx.fqn,
    type,
    name: ctx.id,
    ...(physicalId !== undefined ? { physicalId: physicalId === UNKNOWN ? "(known after deploy)" : physicalId } : {}),
    actions: actionsOf(change),
    replaceReasons: change.reasons,
    before: present(before, paths),
    after: present(after, paths),
    diffs: maskDiffs(change.diffs, paths),
    sensitivePaths: paths,
    operations: change.operations,
    warnings: change.warnings,
    notes: change.notes,
  });
}

function recordDrift(ctx: Ctx, type: string, physicalId: string, kind: DriftEntry["kind"], diffs: PlanDiff[], note: string) {
  drift.push({ address: ctx.fqn, type, physicalId, kind, diffs, note });
}

// ------------------------------------------------------------------ planners

interface Planner {
  plan(ctx: Ctx, props: any): Promise<object>;
  planDelete(ctx: Ctx): Promise<void>;
}

/** What the handlers pass to the CloudFormation stack check. */
function guardContext(resolved: { client: IoTClient; target: IoTTarget }, props: { overrideCloudFormationStack?: boolean } | undefined, label: string) {
  return { ...resolved, label, override: props?.overrideCloudFormationStack ?? false, log: () => {} };
}

const jobTemplatePlanner: Planner = {
  async plan(ctx, props: JobTemplateProps) {
    const label = `JobTemplate "${ctx.id}"`;
    const { client, target } = await resolveIoT(props, ctx.scope);
    const { state, sensitive } = desiredTemplate(ctx, props, target);
    const deployed: JobTemplate | undefined = ctx.phase === "update" ? ctx.output : undefined;
    let change = planJobTemplate(deployed, state);
    let before = deployed ? deployedTemplate(deployed) : undefined;
    let adopted: { arn: string; createdAt: Date } | undefined;
    let adopting = false;
    const g = guardContext({ client, target }, props, label);
    if (change.action === "create" && (props.adopt ?? ctx.scope.adopt)) {
      // The handler reads the template first and takes it over: plan the same.
      const existing = await findExistingTemplate(client, state);
      if (existing) {
        adopting = true;
        change = planTemplateAdoption(existing, state);
        await checkTemplateStack(g, existing.stack, state.spec.jobTemplateId, existing.arn, "adopt");
        before = existing.state;
        adopted = change.action === "replace" ? undefined : existing;
      }
    } else if (deployed && change.action !== "none") {
      await checkTemplateStack(g, deployed.cloudFormation, deployed.jobTemplateId, deployed.jobTemplateArn, change.action === "replace" ? "replace" : "update");
    }
    if (refresh && deployed) await refreshTemplate(ctx, client, deployedTemplate(deployed).spec, deployed);
    record(ctx, "iot::JobTemplate", change, view(before?.spec, before && { tags: before.tags }), view(state.spec, { tags: state.tags }), sensitive, state.spec.jobTemplateId);
    if (adopting) entries.get(ctx.fqn)!.adopt = true;
    const fresh = (change.action === "create" || change.action === "replace") && !adopted;
    return {
      ...props,
      jobTemplateId: state.spec.jobTemplateId,
      jobTemplateArn: adopted
        ? adopted.arn
        : fresh && (!deployed || deployed.jobTemplateId !== state.spec.jobTemplateId)
          ? UNKNOWN
          : (deployed?.jobTemplateArn ?? UNKNOWN),
      createdAt: adopted ? adopted.createdAt : fresh ? UNKNOWN : deployed!.createdAt,
      region: target.region,
      target: target.key,
      ...localInstanceOf(target),
    };
  },
  async planDelete(ctx) {
    const output = ctx.output as JobTemplate;
    const before = deployedTemplate(output);
    // Only resolve a client when a call is due (a local target would start the embedded endpoint).
    const resolved = refresh || output.cloudFormation ? await resolveDeployed(output, withoutTarget(ctx.props), ctx.scope) : undefined;
    if (resolved) {
      const g = guardContext(resolved, withoutTarget(ctx.props), `JobTemplate "${ctx.id}"`);
      await checkTemplateStack(g, output.cloudFormation, output.jobTemplateId, output.jobTemplateArn, "delete");
      if (refresh) await refreshTemplate(ctx, resolved.client, before.spec, output);
    }
    record(ctx, "iot::JobTemplate", decideJobTemplateDelete(before), view(before.spec, { tags: before.tags }), null, new Set(), output.jobTemplateId);
  },
};

async function refreshTemplate(ctx: Ctx, client: IoTClient, spec: Record<string, unknown> & { jobTemplateId: string }, deployed: JobTemplate) {
  const live = (await ifFound(client.send(new DescribeJobTemplateCommand({ jobTemplateId: deployed.jobTemplateId })))) as
    | Awaited<ReturnType<IoTClient["send"]>>
    | undefined;
  if (!live) {
    recordDrift(ctx, "iot::JobTemplate", deployed.jobTemplateId, "deleted", [], "deleted out of band; a deploy that runs its handler (a change, or --force) creates it again");
    return;
  }
  const liveSpec = liveTemplateSpec(live as never);
  if (!templateMatches(liveSpec, spec as never)) {
    const diffs = diffValues(view(spec), view(liveSpec)).map((d) => presentDiff({ ...d, forcesReplacement: true }, []));
    recordDrift(ctx, "iot::JobTemplate", deployed.jobTemplateId, "changed", diffs, "changed out of band (it was deleted and created again with another configuration)");
  }
}

const jobPlanner: Planner = {
  async plan(ctx, props: JobProps) {
    const label = `Job "${ctx.id}"`;
    const { client, target } = await resolveIoT(props, ctx.scope);
    const desired = desiredJob(ctx, props, target);
    // The same checks the handler makes before its first call.
    await checkManagedByArn(label, props, desired);
    const deployed: Job | undefined = ctx.phase === "update" ? ctx.output : undefined;
    let change = planJob(deployed, desired.state);
    let before = deployed ? deployedJob(deployed) : undefined;
    let adopted: { jobArn: string; status: string; createdAt: Date } | undefined;
    let adopting = false;
    const g = guardContext({ client, target }, props, label);
    if (change.action === "create" && (props.adopt ?? ctx.scope.adopt) && desired.state.spec.jobId !== UNKNOWN) {
      // The handler reads the job first and takes it over: plan the same.
      const existing = await findExistingJob(client, desired.state);
      if (existing) {
        adopting = true;
        change = planJobAdoption(existing, desired.state);
        await checkJobStack(g, existing.stack, desired.state.spec.jobId, existing.live.job?.jobArn, "adopt");
        before = existing.state;
        const job = existing.live.job!;
        if (change.action !== "replace") adopted = { jobArn: job.jobArn!, status: job.status!, createdAt: job.createdAt! };
      }
    } else if (deployed && (change.action === "replace" || change.operations.length > 0)) {
      await checkJobStack(g, deployed.cloudFormation, deployed.jobId, deployed.jobArn, change.action === "replace" ? "replace" : "update");
    }
    if ((change.action === "create" || change.action === "replace") && !adopted) checkSchedule(label, desired.state.spec);
    if (refresh && deployed) await refreshJob(ctx, client, change, deployed);
    record(ctx, "iot::Job", change, view(before?.spec, before && { tags: before.tags }), view(desired.state.spec, { tags: desired.state.tags }), desired.sensitive, desired.state.spec.jobId);
    if (adopting) entries.get(ctx.fqn)!.adopt = true;
    const fresh = (change.action === "create" || change.action === "replace") && !adopted;
    const { jobTemplateArn: _, ...rest } = props;
    const known = adopted ?? deployed;
    return {
      ...rest,
      jobId: desired.state.spec.jobId,
      jobArn: fresh ? UNKNOWN : known!.jobArn,
      status: fresh ? UNKNOWN : known!.status,
      createdAt: fresh ? UNKNOWN : known!.createdAt,
      ...(desired.state.spec.jobTemplateArn !== undefined ? { jobTemplateArn: desired.state.spec.jobTemplateArn } : {}),
      region: target.region,
      target: target.key,
      ...localInstanceOf(target),
    };
  },
  async planDelete(ctx) {
    const output = ctx.output as Job;
    const change = decideJobDelete(deployedJob(output));
    const resolved = refresh || output.cloudFormation ? await resolveDeployed(output, withoutTarget(ctx.props), ctx.scope) : undefined;
    if (resolved) {
      const g = guardContext(resolved, withoutTarget(ctx.props), `Job "${ctx.id}"`);
      await checkJobStack(g, output.cloudFormation, output.jobId, output.jobArn, "delete");
      if (refresh) await refreshJob(ctx, resolved.client, change, output);
    }
    const before = deployedJob(output);
    record(ctx, "iot::Job", change, view(before.spec, { tags: before.tags }), null, new Set(), output.jobId);
  },
};

/** With --refresh, a job's live status settles which conditional calls a deploy makes. */
async function refreshJob(ctx: Ctx, client: IoTClient, change: Change, deployed: Job) {
  const live = (await ifFound(client.send(new DescribeJobCommand({ jobId: deployed.jobId })))) as
    | { job?: { status?: string; description?: string; targets?: string[] } }
    | undefined;
  if (!live) {
    recordDrift(ctx, "iot::Job", deployed.jobId, "deleted", [], "deleted out of band; a deploy that runs its handler (a change, or --force) creates it again, and its targets receive it again");
    change.operations = change.operations.filter((o) => o.resource !== deployed.jobId || o.operation === "CreateJob");
    return;
  }
  const status = live.job?.status ?? "";
  const finished = TERMINAL_JOB_STATUSES.includes(status as never);
  change.operations = change.operations
    .filter((o) => !(o.resource === deployed.jobId && finished && (o.operation === "CancelJob" || o.operation === "UpdateJob")))
    .map((o) => (o.resource === deployed.jobId && o.condition ? { operation: o.operation, resource: o.resource } : o));
  if (status !== deployed.status) {
    change.notes.push(`status is ${status} (was ${deployed.status} when last deployed)${finished ? "; IoT does not update finished jobs" : ""}`);
  }
  const spec = deployedJob(deployed).spec;
  const liveView = { description: live.job?.description, targets: [...(live.job?.targets ?? [])].sort() };
  const diffs = diffValues({ description: spec.description, targets: spec.targets }, liveView).map((d) =>
    presentDiff({ ...d, forcesReplacement: false }, []),
  );
  if (diffs.length > 0) recordDrift(ctx, "iot::Job", deployed.jobId, "changed", diffs, "changed out of band");
}

const thingGroupPlanner: Planner = {
  async plan(ctx, props: ThingGroupProps) {
    const { client, target } = await resolveIoT(props, ctx.scope);
    const desired = desiredThingGroup(ctx, props, target);
    const deployed: ThingGroup | undefined = ctx.phase === "update" ? ctx.output : undefined;
    const change = planThingGroup(deployed, desired);
    if (refresh && deployed) {
      const live = await ifFound(client.send(new DescribeThingGroupCommand({ thingGroupName: deployed.thingGroupName })));
      if (!live) recordDrift(ctx, "iot::ThingGroup", deployed.thingGroupName, "deleted", [], "deleted out of band");
    }
    const before = deployed ? deployedThingGroup(deployed) : undefined;
    record(ctx, "iot::ThingGroup", change, view(before?.spec, before && { tags: before.tags }), view(desired.spec, { tags: desired.tags }), new Set(), desired.spec.thingGroupName);
    const fresh = change.action === "create" || change.action === "replace";
    const arn = fresh ? UNKNOWN : deployed!.thingGroupArn;
    return { ...props, thingGroupName: desired.spec.thingGroupName, thingGroupArn: arn, arn, thingGroupId: fresh ? UNKNOWN : deployed!.thingGroupId, region: target.region, target: target.key, ...localInstanceOf(target) };
  },
  async planDelete(ctx) {
    const output = ctx.output as ThingGroup;
    const before = deployedThingGroup(output);
    record(ctx, "iot::ThingGroup", decideSimpleDelete("DeleteThingGroup", output.thingGroupName), view(before.spec, { tags: before.tags }), null, new Set(), output.thingGroupName);
  },
};

const thingPlanner: Planner = {
  async plan(ctx, props: ThingProps) {
    const { client, target } = await resolveIoT(props, ctx.scope);
    const desired = desiredThing(ctx, props, target);
    const deployed: Thing | undefined = ctx.phase === "update" ? ctx.output : undefined;
    const change = planThing(deployed, desired);
    if (refresh && deployed) {
      const live = await ifFound(client.send(new DescribeThingCommand({ thingName: deployed.thingName })));
      if (!live) recordDrift(ctx, "iot::Thing", deployed.thingName, "deleted", [], "deleted out of band");
    }
    const before = deployed ? deployedThing(deployed) : undefined;
    record(ctx, "iot::Thing", change, view(before?.spec, before && { thingGroups: before.groups }), view(desired.spec, { thingGroups: desired.groups }), new Set(), desired.spec.thingName);
    const fresh = change.action === "create" || change.action === "replace";
    const arn = fresh ? UNKNOWN : deployed!.thingArn;
    return { ...props, thingName: desired.spec.thingName, thingArn: arn, arn, thingId: fresh ? UNKNOWN : deployed!.thingId, region: target.region, target: target.key, ...localInstanceOf(target) };
  },
  async planDelete(ctx) {
    const output = ctx.output as Thing;
    const before = deployedThing(output);
    record(ctx, "iot::Thing", decideSimpleDelete("DeleteThing", output.thingName), view(before.spec, { thingGroups: before.groups }), null, new Set(), output.thingName);
  },
};

const PLANNERS: Record<string, Planner> = {
  "iot::JobTemplate": jobTemplatePlanner,
  "iot::Job": jobPlanner,
  "iot::ThingGroup": thingGroupPlanner,
  "iot::Thing": thingPlanner,
};

function planningHandler(kind: string) {
  const planner = PLANNERS[kind];
  return async function (this: Ctx, id: string, rawProps: unknown) {
    if (this.phase === "update") await assertLocalDataPresent(this.output, this.scope, `${kind.replace("iot::", "")} "${id}"`);
    if (this.phase === "delete") {
      if (this.output) await planner.planDelete(this);
      return this.destroy();
    }
    return planner.plan(this, withoutTarget(rawProps as object));
  };
}

/** Resources of other providers: listed, not planned, and never run. */
function foreignHandler(kind: string) {
  return async function (this: Ctx, _id: string, props: unknown) {
    const action: PlanAction = this.phase === "delete" ? "delete" : this.phase === "create" ? "create" : "update";
    entries.set(this.fqn, {
      address: this.fqn,
      type: kind,
      name: this.id,
      actions: [action],
      replaceReasons: [],
      before: action === "create" ? null : present(this.props ?? null),
      after: action === "delete" ? null : present(props ?? null),
      diffs: action === "update" ? diffValues(present(this.props), present(props)).map((d) => ({ ...d, forcesReplacement: false })) : [],
      sensitivePaths: [],
      operations: [],
      warnings: [],
      notes: [`${kind} is not a resource of alchemy-iot-jobs: this preview lists it but cannot say what its provider will do`],
      notPlanned: true,
    });
    if (this.phase === "delete") return this.destroy();
    return this.output ?? {};
  };
}

const wrappedProviders = new Map<string, unknown>();

setHooks({
  enterScope,
  provider(kind, provider) {
    let wrapped = wrappedProviders.get(kind);
    if (!wrapped) {
      const p = provider as { options?: unknown };
      wrapped = {
        type: kind,
        options: p.options,
        handler: PLANNERS[kind] ? planningHandler(kind) : foreignHandler(kind),
      };
      wrappedProviders.set(kind, wrapped);
    }
    return wrapped;
  },
});

installRecorder({
  refresh,
  read(kind, name, value) {
    const scope = Scope.getScope();
    const address = `${scope ? `${scope.chain.join("/")}/` : ""}${kind}(${name})`;
    entries.set(address, {
      address,
      type: `data::${kind}`,
      name,
      actions: ["read"],
      replaceReasons: [],
      before: null,
      after: present(value),
      diffs: [],
      sensitivePaths: [],
      operations: [],
      warnings: [],
      notes: [],
    });
  },
  target(description) {
    targets.add(description);
  },
});

// ------------------------------------------------------------------ the plan

/** Resources the program declared that no planner saw: unchanged (Alchemy skipped them). */
async function unchangedEntries(): Promise<PlanEntry[]> {
  const out: PlanEntry[] = [];
  for (const scope of scopes) {
    for (const pending of scope.resources.values()) {
      const p = pending as unknown as Record<symbol, string>;
      const kind = p[ResourceKind];
      const fqn = p[ResourceFQN];
      if (kind === "alchemy::Scope" || entries.has(fqn)) continue;
      const output = (await (pending as unknown as Promise<Record<string, unknown>>).catch(() => undefined)) ?? {};
      const physicalId = (output.jobTemplateId ?? output.jobId ?? output.thingGroupName ?? output.thingName) as string | undefined;
      out.push({
        address: fqn,
        type: kind,
        name: p[ResourceID],
        ...(typeof physicalId === "string" ? { physicalId } : {}),
        actions: ["no-op"],
        replaceReasons: [],
        before: null,
        after: null,
        diffs: [],
        sensitivePaths: [],
        operations: [],
        warnings: [],
        notes: [],
      });
    }
  }
  return out;
}

export async function buildPlan(): Promise<Plan> {
  const all = [...entries.values(), ...(await unchangedEntries())].sort((a, b) => a.address.localeCompare(b.address));
  const root = [...scopes].find((s) => !s.parent);
  return {
    formatVersion: FORMAT_VERSION,
    app: root?.appName ?? "",
    stage: [...scopes].find((s) => s.parent === root)?.stage ?? root?.stage ?? "",
    targets: [...targets].sort(),
    refreshed: refresh,
    summary: summarize(all),
    resources: all,
    drift: drift.sort((a, b) => a.address.localeCompare(b.address)),
  };
}

/**
 * A program that fails while being previewed: its failure, as one block, goes
 * to the parent (which prints it as the preview's failure), then the process
 * exits 1. Registered before the program runs, so it sees every failure first.
 */
process.on("uncaughtException", (error) => {
  const text = formatFailure(error, { action: "Preview" });
  if (process.send) process.send({ type: "failure", text }, () => process.exit(1));
  else {
    process.stderr.write(`${text}\n`);
    process.exit(1);
  }
});

let sent = false;
process.once("beforeExit", async () => {
  if (sent) return;
  sent = true;
  const plan = await buildPlan();
  if (process.send) {
    process.send({ type: "plan", plan }, () => process.disconnect?.());
  } else {
    process.stdout.write(`${JSON.stringify(plan)}\n`);
  }
});
