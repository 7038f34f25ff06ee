/** The props of Thing and ThingGroup as zod schemas. */
import { z } from "zod";
import { GUIDE, LISTS, STRINGS, checkString } from "./constraints.ts";
import { clientPropsShape, tagsSchema } from "./schemas.ts";
import { str, strict } from "./validate.ts";

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

export const thingGroupPropsSchema = strict({
  ...clientPropsShape,
  thingGroupName: str(STRINGS.thingGroupName).optional(),
  description: str(STRINGS.thingGroupDescription).optional(),
  attributes: attributesSchema.optional(),
  parentGroupName: str(STRINGS.thingGroupName).optional(),
  tags: tagsSchema.optional(),
  adopt: z.boolean().optional(),
});

export const thingPropsSchema = strict({
  ...clientPropsShape,
  thingName: str(STRINGS.thingName).optional(),
  attributes: attributesSchema.optional(),
  thingGroups: z
    .array(z.union([str(STRINGS.thingGroupName), z.object({ thingGroupName: z.string() }).passthrough()]))
    .max(GUIDE.thingGroupsPerThing.max, `lists at most ${GUIDE.thingGroupsPerThing.max} thing groups (IoT's limit per thing)`)
    .optional(),
  adopt: z.boolean().optional(),
});
