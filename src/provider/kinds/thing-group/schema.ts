/** ThingGroup's props as a zod schema, from the shared shapes of schemas.ts. */
import { z } from "zod";
import { STRINGS } from "../../../api/constraints.ts";
import { REGISTRY_ADVICE, attributesSchema, clientPropsShape, registryNames, tagsSchema } from "../../schemas.ts";
import { str, strict, withSecretPolicy } from "../../validate.ts";

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
    thingGroupName: registryNames("thingGroupName", "thing group"),
    parentGroupName: registryNames("parentGroupName", "parent thing group"),
    attributes: "IoT stores thing group attributes in clear and returns them to anyone who can call DescribeThingGroup",
  },
});
