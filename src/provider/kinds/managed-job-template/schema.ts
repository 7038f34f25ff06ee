/** ManagedJobTemplate's props (the lookup of an AWS managed template) as a zod schema. */
import { STRINGS } from "../../../api/constraints.ts";
import { clientPropsShape } from "../../schemas.ts";
import { str, strict, withSecretPolicy } from "../../validate.ts";

export const managedJobTemplatePropsSchema = withSecretPolicy(
  strict(
    {
      ...clientPropsShape,
      templateName: str(STRINGS.managedTemplateName),
      templateVersion: str(STRINGS.templateVersion).optional(),
    },
    { name: "the prop is templateName", version: "the prop is templateVersion" },
  ),
  {
    describe: "DescribeManagedJobTemplate",
    advice: "pass a plain string",
    rules: {
      templateName: "templateName names a public AWS managed template: it is sent in clear and printed in every plan",
      templateVersion: "templateVersion is sent in clear and printed in every plan",
    },
  },
);
