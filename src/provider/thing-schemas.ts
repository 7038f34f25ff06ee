/** The props of Thing and ThingGroup as zod schemas. */
import { z } from "zod";
import { GUIDE, LISTS, STRINGS, checkString } from "../api/constraints.ts";
import { clientPropsShape, tagsSchema } from "./schemas.ts";
import { reference, str, strict, withSecretPolicy } from "./validate.ts";

const attributesSchema = z
  .record(z.string(), z.string())
  .superRefine((attrs, ctx) => {
    if (Object.keys(attrs).length > LISTS.attributes.max) {
      ctx.addIssue({ code: "custom", message: `has ${Object.keys(attrs).length} attributes; at most ${LISTS.attributes.max}` });
    }
    for (const [k, v] of Object.entries(attrs)) {
      const kp = checkString(k, STRINGS.attributeName);
      if (kp) ctx.addIssue({ code: "custom", path: [k], message: `attribute name ${kp}` });
      const vp = checkString(v, STRINGS.attributeValue);
      if (vp) ctx.addIssue({ code: "custom", path: [k], message: `attribute value ${vp}` });
    }
  });

/** Things and groups are registry entries: nothing in them is a place for a secret. */
const REGISTRY_ADVICE = "pass a plain string, or keep the secret out of the registry";
const names = (prop: string, noun: string) =>
  `${prop} names the ${noun}: it is part of its ARN, which IoT returns in clear and every plan and log prints`;

const thingGroupProps = strict({
  ...clientPropsShape,
  thingGroupName: str(STRINGS.thingGroupName).optional(),
  description: str(STRINGS.thingGroupDescription).optional(),
  attributes: attributesSchema.optional(),
  parentGroupName: str(STRINGS.thingGroupName).optional(),
  tags: tagsSchema.optional(),
  adopt: z.boolean().optional(),
  overrideCloudFormationStack: z.boolean().optional(),
});

export const thingGroupPropsSchema = withSecretPolicy(thingGroupProps, {
  describe: "DescribeThingGroup",
  advice: REGISTRY_ADVICE,
  rules: {
    thingGroupName: names("thingGroupName", "thing group"),
    parentGroupName: names("parentGroupName", "parent thing group"),
    attributes: "IoT stores thing group attributes in clear and returns them to anyone who can call DescribeThingGroup",
  },
});

const thingProps = strict({
  ...clientPropsShape,
  thingName: str(STRINGS.thingName).optional(),
  attributes: attributesSchema.optional(),
  thingGroups: z
    .array(z.union([str(STRINGS.thingGroupName), reference(z.object({ thingGroupName: z.string() }).passthrough(), ["thingGroupName"])]))
    .max(GUIDE.thingGroupsPerThing.max, `lists at most ${GUIDE.thingGroupsPerThing.max} thing groups (IoT's limit per thing)`)
    .optional(),
  adopt: z.boolean().optional(),
});

export const thingPropsSchema = withSecretPolicy(thingProps, {
  describe: "DescribeThing",
  advice: REGISTRY_ADVICE,
  rules: {
    thingName: names("thingName", "thing"),
    attributes: "IoT stores thing attributes in clear and returns them to anyone who can call DescribeThing",
    thingGroups: "thingGroups name thing groups, which IoT returns in clear (ListThingGroupsForThing) and every plan prints",
  },
});
