/**
 * Every decision rule, table-driven, on the kinds' pure `decide` (no
 * endpoint, no Alchemy): given what is deployed and what the program
 * declares, the action, the calls with their exact inputs, and the reasons.
 */
import { describe, expect, test } from "vitest";
import type { Before, Desired, ResourceState } from "../../src/provider/engine/contract.ts";
import { jobKind } from "../../src/provider/kinds/job/contract.ts";
import { jobTemplateKind } from "../../src/provider/kinds/job-template/contract.ts";
import { thingKind } from "../../src/provider/kinds/thing/contract.ts";
import { thingGroupKind } from "../../src/provider/kinds/thing-group/contract.ts";

const ownership = { app: "app", stage: "s", resource: "app/s/r" };
const arnOf = (type: string, id: string) => `arn:aws:iot:us-east-1:123456789012:${type}/${id}`;

function state(spec: Record<string, unknown>, extra: Partial<ResourceState> = {}): ResourceState {
  return { location: "aws", region: "us-east-1", spec, tags: {}, settings: {}, ...extra };
}
const desired = (id: string, s: ResourceState): Desired<any> => ({ id, ownership, sensitive: new Set(), state: s });
const before = (type: string, id: string, s: ResourceState, extra: Record<string, unknown> = {}): Before<any> => ({
  state: s,
  facts: { arn: arnOf(type, id), extra },
  live: false,
});
/** A change as a line: action (and mode), then each call with the input members it sends (ids aside). */
const calls = (change: { operations: Array<{ op: string; input: object }> }) =>
  change.operations.map(
    (o) =>
      `${o.op}(${Object.keys(o.input)
        .filter((k) => !/Id$|Name$|Arn$/.test(k) || k === "thingGroupName")
        .sort()
        .join(",")})`,
  );

// ------------------------------------------------------------------ job templates

const tpl = (spec: Record<string, unknown> = {}, extra: Partial<ResourceState> = {}) =>
  state({ jobTemplateId: "t", description: "d", document: '{"a":1}', ...spec }, extra);

describe("JobTemplate", () => {
  const decide = (b: ResourceState | undefined, d: ResourceState) =>
    jobTemplateKind.decide(b && before("jobtemplate", "t", b), desired(String(d.spec.jobTemplateId), d));
  const REPLACING = [
    "description",
    "document",
    "documentSource",
    "jobArn",
    "presignedUrlConfig",
    "jobExecutionsRolloutConfig",
    "abortConfig",
    "timeoutConfig",
    "jobExecutionsRetryConfig",
    "maintenanceWindows",
    "destinationPackageVersions",
  ];

  test("nothing deployed: CreateJobTemplate with the spec and the ownership tags", () => {
    const c = decide(undefined, tpl({}, { tags: { team: "x" } }));
    expect(c.action).toBe("create");
    expect(c.operations[0]).toMatchObject({
      op: "CreateJobTemplate",
      input: {
        jobTemplateId: "t",
        description: "d",
        tags: [
          { Key: "team", Value: "x" },
          { Key: "alchemy_app", Value: "app" },
          { Key: "alchemy_stage", Value: "s" },
          { Key: "alchemy_resource", Value: "app/s/r" },
        ],
      },
    });
  });

  test("the same spec: nothing", () => expect(decide(tpl(), tpl()).action).toBe("none"));
  test("a document that differs only in key order: nothing", () =>
    expect(decide(tpl({ document: '{"a":1,"b":2}' }), tpl({ document: '{ "b": 2, "a": 1 }' })).action).toBe("none"));

  test.each(REPLACING)("%s changed: replaced, deleted first (same id)", (member) => {
    const c = decide(tpl({ [member]: { v: 1 } }), tpl({ [member]: { v: 2 } }));
    expect([c.action, c.replaceMode]).toEqual(["replace", "delete-first"]);
    expect(calls(c)).toEqual(["DeleteJobTemplate()", expect.stringMatching(/^CreateJobTemplate\(/)]);
    expect(c.reasons).toEqual([
      `${member} changed; IoT job templates cannot be updated (there is no UpdateJobTemplate), so the template is replaced`,
    ]);
  });

  test("tags changed: TagResource for added or changed ones, UntagResource for removed ones", () => {
    const c = decide(tpl({}, { tags: { a: "1", b: "2" } }), tpl({}, { tags: { a: "9", c: "3" } }));
    expect(c.action).toBe("update");
    expect(c.operations.map((o) => [o.op, o.input])).toEqual([
      [
        "TagResource",
        {
          resourceArn: arnOf("jobtemplate", "t"),
          tags: [
            { Key: "a", Value: "9" },
            { Key: "c", Value: "3" },
          ],
        },
      ],
      ["UntagResource", { resourceArn: arnOf("jobtemplate", "t"), tagKeys: ["b"] }],
    ]);
  });

  test("a new id: the new template is created first", () => {
    const c = decide(tpl(), tpl({ jobTemplateId: "t2" }));
    expect([c.action, c.replaceMode]).toEqual(["replace", "create-first"]);
    expect(c.operations.map((o) => `${o.op} ${o.resource} ${o.part}`)).toEqual([
      "CreateJobTemplate t2 create",
      "DeleteJobTemplate t delete",
    ]);
  });

  test("another location: created there first, deleted here", () => {
    const c = decide(tpl(), tpl({}, { location: "local" }));
    expect(c.replaceMode).toBe("create-first");
    expect(c.reasons[0]).toBe("the template moves from AWS us-east-1 to the local endpoint; it is created there and deleted here");
  });

  test("the job it copies changed: made again, with the reason", () => {
    const c = decide(
      tpl({ jobArn: arnOf("job", "j") }, { settings: { copiedJob: "a" } }),
      tpl({ jobArn: arnOf("job", "j") }, { settings: { copiedJob: "b" } }),
    );
    expect(c.action).toBe("replace");
    expect(c.reasons[0]).toMatch(/^the job it copies \(jobArn\) now has another document or configuration/);
  });
});

// ------------------------------------------------------------------ jobs

const deletion = { deletion: { force: false, timeoutSeconds: 600 } };
const job = (spec: Record<string, unknown> = {}, extra: Partial<ResourceState> = {}) =>
  state(
    { jobId: "j", targets: [arnOf("thinggroup", "g")], targetSelection: "CONTINUOUS", document: '{"op":1}', ...spec },
    { settings: deletion, ...extra },
  );

describe("Job", () => {
  const decide = (b: ResourceState | undefined, d: ResourceState, status = "IN_PROGRESS") =>
    jobKind.decide(b && before("job", String(b.spec.jobId), b, { status }), desired(String(d.spec.jobId), d));

  test("nothing deployed: CreateJob, with a warning for the devices", () => {
    const c = decide(undefined, job());
    expect(calls(c)).toEqual(["CreateJob(document,tags,targetSelection,targets)"]);
    expect(c.warnings).toEqual(["creates job j: every device it targets receives the job document and runs it"]);
  });

  test.each([
    ["description", undefined, "x", { description: "x" }],
    ["presignedUrlConfig", undefined, { expiresInSec: 60 }, { presignedUrlConfig: { expiresInSec: 60 } }],
    ["presignedUrlConfig", { expiresInSec: 60 }, undefined, { presignedUrlConfig: {} }],
    ["jobExecutionsRolloutConfig", undefined, { maximumPerMinute: 5 }, { jobExecutionsRolloutConfig: { maximumPerMinute: 5 } }],
    ["jobExecutionsRolloutConfig", { maximumPerMinute: 5 }, undefined, { jobExecutionsRolloutConfig: {} }],
    ["abortConfig", undefined, { criteriaList: [{ failureType: "ALL" }] }, { abortConfig: { criteriaList: [{ failureType: "ALL" }] } }],
    ["timeoutConfig", { inProgressTimeoutInMinutes: 5 }, undefined, { timeoutConfig: {} }],
    [
      "jobExecutionsRetryConfig",
      { criteriaList: [{ failureType: "FAILED", numberOfRetries: 3 }] },
      { criteriaList: [{ failureType: "FAILED", numberOfRetries: 0 }] },
      { jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 0 }] } },
    ],
    [
      "jobExecutionsRetryConfig",
      { criteriaList: [{ failureType: "FAILED", numberOfRetries: 3 }] },
      undefined,
      { jobExecutionsRetryConfig: { criteriaList: [{ failureType: "FAILED", numberOfRetries: 0 }] } },
    ],
  ])("%s %j -> %j: UpdateJob sends exactly %j", (member, from, to, sent) => {
    const c = decide(job({ [member]: from }), job({ [member]: to }));
    expect(c.action).toBe("update");
    expect(c.operations).toEqual([
      expect.objectContaining({
        op: "UpdateJob",
        input: { jobId: "j", namespaceId: undefined, ...sent },
        guard: expect.objectContaining({ kind: "job-not-finished" }),
      }),
    ]);
  });

  test.each([
    ["description", "x", undefined, "description removed; UpdateJob cannot clear a job's description"],
    ["abortConfig", { criteriaList: [] }, undefined, "abortConfig removed; UpdateJob cannot remove abort criteria"],
    [
      "jobExecutionsRetryConfig",
      undefined,
      { criteriaList: [{ failureType: "FAILED", numberOfRetries: 1 }] },
      "jobExecutionsRetryConfig added; retries can only be configured when a job is created",
    ],
    [
      "jobExecutionsRetryConfig",
      { criteriaList: [{ failureType: "FAILED", numberOfRetries: 1 }] },
      { criteriaList: [{ failureType: "TIMED_OUT", numberOfRetries: 0 }] },
      "jobExecutionsRetryConfig failureType TIMED_OUT added; failure types are fixed when a job is created",
    ],
    [
      "jobExecutionsRetryConfig",
      { criteriaList: [{ failureType: "FAILED", numberOfRetries: 1 }] },
      { criteriaList: [{ failureType: "FAILED", numberOfRetries: 4 }] },
      "jobExecutionsRetryConfig numberOfRetries for FAILED changed to 4; after creation retries can only be lowered to 0",
    ],
  ])("%s %j -> %j: UpdateJob cannot do it, so the job is replaced (%s)", (member, from, to, reason) => {
    const c = decide(job({ [member]: from }), job({ [member]: to }));
    expect([c.action, c.replaceMode]).toEqual(["replace", "delete-first"]);
    expect(c.reasons).toContain(reason);
    expect(calls(c)).toEqual(["CancelJob()", "DeleteJob(force)", expect.stringMatching(/^CreateJob\(/)]);
  });

  test.each([
    "targetSelection",
    "document",
    "documentSource",
    "jobTemplateArn",
    "documentParameters",
    "schedulingConfig",
    "namespaceId",
    "destinationPackageVersions",
  ])("%s changed, with the same (explicit) id: replaced, the old job deleted (and awaited) first", (member) => {
    const c = decide(job({ [member]: "a" }), job({ [member]: "b" }));
    expect([c.action, c.replaceMode]).toEqual(["replace", "delete-first"]);
    expect(c.reasons[0]).toBe(
      `${member} changed; IoT can only update a job's description, presignedUrlConfig, jobExecutionsRolloutConfig, abortConfig, timeoutConfig, jobExecutionsRetryConfig (UpdateJob)`,
    );
    expect(c.warnings[0]).toMatch(/^replaces job j: the old job is cancelled and deleted, and every target device receives the new job$/);
  });

  test("a new (default) id: the new job is created first, the old one cancelled and deleted at the end", () => {
    const c = decide(job({ document: "1" }), job({ jobId: "j2", document: "2" }));
    expect([c.action, c.replaceMode]).toEqual(["replace", "create-first"]);
    expect(c.operations.map((o) => `${o.op} ${o.resource}`)).toEqual(["CreateJob j2", "CancelJob j", "DeleteJob j"]);
  });

  test("force allowed for the old job: the cancel and delete say so", () => {
    const c = decide(job({ document: "1" }, { settings: { deletion: { force: true, timeoutSeconds: 600 } } }), job({ document: "2" }));
    // The cancellation's force is planned (its input), not decided when it is sent.
    expect(c.operations[0]).toMatchObject({ op: "CancelJob", input: { force: true }, guard: { kind: "job-cancelable" } });
    expect(c.operations[1]).toMatchObject({ op: "DeleteJob", input: { force: true }, guard: { kind: "job-gone", timeoutSeconds: 600 } });
  });

  describe("targets", () => {
    const g = arnOf("thinggroup", "g");
    const h = arnOf("thinggroup", "h");
    const t = arnOf("thing", "t");
    const later = new Date(Date.now() + 86_400_000).toISOString().slice(0, 16);
    test("a group added to a continuous job in progress: AssociateTargetsWithJob with the new group only, no replacement", () => {
      const c = decide(job(), job({ targets: [g, h] }));
      expect(c.action).toBe("update");
      expect(c.operations).toEqual([
        expect.objectContaining({
          op: "AssociateTargetsWithJob",
          input: { jobId: "j", targets: [h], namespaceId: undefined },
          guard: expect.objectContaining({ kind: "job-not-finished" }),
        }),
      ]);
      expect(c.warnings).toEqual([
        `adds ${h} to job j: the devices in that group receive the job, except those that already have it; no other device runs it again`,
      ]);
    });
    test.each([
      [
        "a target removed",
        job({ targets: [g, h] }),
        job({ targets: [g] }),
        "IN_PROGRESS",
        `a target was removed (${h}): IoT cannot remove targets from a job, so the job is replaced and re-runs on all its devices`,
      ],
      [
        "a thing added",
        job(),
        job({ targets: [g, t] }),
        "IN_PROGRESS",
        `a thing was added (${t}): IoT adds only thing groups to a running job, so the job is replaced and re-runs on all its devices`,
      ],
      [
        "a group added to a SNAPSHOT job",
        job({ targetSelection: "SNAPSHOT" }),
        job({ targetSelection: "SNAPSHOT", targets: [g, h] }),
        "IN_PROGRESS",
        "targets changed; a SNAPSHOT job's targets are fixed when it is created (IoT adds targets only to CONTINUOUS jobs), so the job is replaced and re-runs on all its devices",
      ],
      [
        "a group added to a SCHEDULED job",
        job({ schedulingConfig: { startTime: later } }),
        job({ schedulingConfig: { startTime: later }, targets: [g, h] }),
        "SCHEDULED",
        `targets changed while the job is SCHEDULED (until ${later}): IoT adds targets only to a job that is IN_PROGRESS, so the job is replaced (it has not run on any device yet)`,
      ],
    ])("%s: replaced, and the reason says why", (_name, b, d, status, reason) => {
      const c = decide(b, d, status);
      expect(c.action).toBe("replace");
      expect(c.reasons).toContain(reason);
      expect(c.operations.map((o) => o.op)).not.toContain("AssociateTargetsWithJob");
    });
    test("a group added to a job recorded as SCHEDULED whose start time has passed: IoT has started it, so it is added to, not replaced", () => {
      const started = new Date(Date.now() - 60_000).toISOString().slice(0, 16);
      const c = decide(
        job({ schedulingConfig: { startTime: started } }),
        job({ schedulingConfig: { startTime: started }, targets: [g, h] }),
        "SCHEDULED",
      );
      expect(c.action).toBe("update");
      expect(c.operations.map((o) => o.op)).toEqual(["AssociateTargetsWithJob"]);
    });
    test.each(["COMPLETED", "CANCELED"])("a group added to a %s job: recorded in state only, nothing sent, no re-run", (status) => {
      const c = decide(job(), job({ targets: [g, h] }), status);
      expect([c.action, c.operations, c.kept]).toEqual(["update", [], ["targets"]]);
      expect(c.notes).toEqual([
        `the job is ${status}; IoT adds targets only to a job in progress, so the new targets are recorded in state only and do not receive the job`,
      ]);
    });
  });

  test("a finished job: UpdateJob members are kept in state, nothing sent", () => {
    const c = decide(job({ description: "a" }), job({ description: "b" }), "COMPLETED");
    expect(c.action).toBe("update");
    expect(c.operations).toEqual([]);
    expect(c.kept).toEqual(["description"]);
  });

  test("deletion settings only: an update with no call", () => {
    const c = decide(job(), job({}, { settings: { deletion: { force: true, timeoutSeconds: 600 } } }));
    expect([c.action, c.operations]).toEqual(["update", []]);
    expect(c.notes).toEqual(["deletion settings are kept in state for destroy and replacements; no API call"]);
  });

  test("tags: TagResource / UntagResource on the job's ARN", () => {
    const c = decide(job({}, { tags: { a: "1" } }), job({}, { tags: {} }));
    expect(c.operations.map((o) => [o.op, o.input])).toEqual([["UntagResource", { resourceArn: arnOf("job", "j"), tagKeys: ["a"] }]]);
  });
});

// ------------------------------------------------------------------ thing groups and things

const grp = (spec: Record<string, unknown> = {}, extra: Partial<ResourceState> = {}) =>
  state({ thingGroupName: "g", attributes: {}, ...spec }, extra);
const thing = (spec: Record<string, unknown> = {}) => state({ thingName: "t", attributes: {}, thingGroups: [], ...spec });

describe("ThingGroup", () => {
  const decide = (b: ResourceState | undefined, d: ResourceState) =>
    thingGroupKind.decide(b && before("thinggroup", "g", b), desired(String(d.spec.thingGroupName), d));
  test("description and attributes: UpdateThingGroup with the whole declared set (merge: false)", () => {
    const c = decide(grp({ description: "a", attributes: { x: "1" } }), grp({ attributes: { y: "2" } }));
    expect(c.operations.map((o) => [o.op, o.input])).toEqual([
      [
        "UpdateThingGroup",
        {
          thingGroupName: "g",
          thingGroupProperties: { thingGroupDescription: "", attributePayload: { attributes: { y: "2" }, merge: false } },
        },
      ],
    ]);
  });
  test("a new parent: replaced, deleted first (same name)", () => {
    const c = decide(grp(), grp({ parentGroupName: "p" }));
    expect([c.action, c.replaceMode, c.reasons]).toEqual([
      "replace",
      "delete-first",
      ["parentGroupName changed; a thing group's parent is fixed when it is created"],
    ]);
  });
  test("a new name: the new group is created first", () => {
    expect(decide(grp(), grp({ thingGroupName: "g2" })).replaceMode).toBe("create-first");
  });
});

describe("Thing", () => {
  const decide = (b: ResourceState | undefined, d: ResourceState) =>
    thingKind.decide(b && before("thing", "t", b), desired(String(d.spec.thingName), d));
  test("nothing deployed: CreateThing, then one AddThingToThingGroup per group", () => {
    expect(calls(decide(undefined, thing({ thingGroups: ["a", "b"] })))).toEqual([
      "CreateThing(attributePayload)",
      "AddThingToThingGroup(thingGroupName)",
      "AddThingToThingGroup(thingGroupName)",
    ]);
  });
  test("attributes: UpdateThing with the declared set (merge: false)", () => {
    const c = decide(thing({ attributes: { a: "1" } }), thing({ attributes: {} }));
    expect(c.operations.map((o) => o.input)).toEqual([{ thingName: "t", attributePayload: { attributes: {}, merge: false } }]);
  });
  test("groups: added and removed, only those the resource declares", () => {
    const c = decide(thing({ thingGroups: ["a", "b"] }), thing({ thingGroups: ["b", "c"] }));
    expect(c.operations.map((o) => `${o.op} ${o.resource}`)).toEqual(["AddThingToThingGroup t → c", "RemoveThingFromThingGroup t → a"]);
  });
  test("a new name: created first", () => expect(decide(thing(), thing({ thingName: "t2" })).replaceMode).toBe("create-first"));
});
