/** Thing's props as a zod schema, from the shared shapes of schemas.ts. */
import { z } from "zod";
import { GUIDE, STRINGS } from "../../../api/constraints.ts";
import { REGISTRY_ADVICE, attributesSchema, clientPropsShape, registryNames } from "../../schemas.ts";
import { reference, str, strict, withSecretPolicy } from "../../validate.ts";

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
    thingName: registryNames("thingName", "thing"),
    attributes: "IoT stores thing attributes in clear and returns them to anyone who can call DescribeThing",
    thingGroups: "thingGroups name thing groups, which IoT returns in clear (ListThingGroupsForThing) and every plan prints",
  },
});
