/** SoftwarePackageConfiguration's props as a zod schema. */
import { z } from "zod";
import { clientPropsShape } from "../../schemas.ts";
import { strict, withSecretPolicy } from "../../validate.ts";

const versionUpdateByJobsConfigSchema = strict(
  {
    enabled: z.boolean(),
    // An IAM role ARN, checked as the client's assumed role is (clientPropsShape.roleArn).
    roleArn: clientPropsShape.roleArn,
  },
  { role: "the member is roleArn", roleARN: "the member is roleArn" },
).superRefine((value, ctx) => {
  if (value?.enabled === true && value.roleArn === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["roleArn"],
      message: "is required when enabled is true: jobs update each device's $package reserved named shadow with this role",
    });
  }
});

const configurationProps = strict(
  {
    ...clientPropsShape,
    versionUpdateByJobsConfig: versionUpdateByJobsConfigSchema,
  },
  {
    enabled: "enabled goes inside versionUpdateByJobsConfig: { enabled: true, roleArn }",
    adopt: "the configuration is always taken over (one per account and region exists already); adopt is not needed",
  },
);

export const softwarePackageConfigurationPropsSchema = withSecretPolicy(configurationProps, {
  describe: "GetPackageConfiguration",
  advice: "pass a plain string",
});
