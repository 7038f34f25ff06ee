/**
 * ListManagedJobTemplates, DescribeManagedJobTemplate: their requests
 * decoded, their answers shaped (the catalogue and the checks:
 * account/managed.ts).
 */
import * as managed from "../account/managed.ts";
import * as decode from "./decode.ts";
import { compact, type Handler } from "./handler.ts";

export const listManagedJobTemplates: Handler = (world, { query }) => {
  const page = managed.listManagedJobTemplates(world, {
    maxResults: decode.maxResults(query.maxResults),
    templateName: decode.text("templateName", query.templateName),
    nextToken: query.nextToken,
  });
  return compact({
    managedJobTemplates: page.items.map((t) => ({
      templateArn: managed.managedArn(world.region, t),
      templateName: t.templateName,
      description: t.description,
      environments: t.environments,
      templateVersion: t.templateVersion,
    })),
    nextToken: page.nextToken,
  });
};

export const describeManagedJobTemplate: Handler = (world, { params, query }) => {
  const t = managed.describeManagedJobTemplate(world, {
    templateName: decode.requiredText("templateName", params.templateName),
    templateVersion: decode.text("templateVersion", query.templateVersion),
  });
  return {
    templateName: t.templateName,
    templateArn: managed.managedArn(world.region, t),
    description: t.description,
    templateVersion: t.templateVersion,
    environments: t.environments,
    documentParameters: t.documentParameters.map((p) =>
      compact({
        key: p.key,
        description: p.description ?? undefined,
        regex: p.regex ?? undefined,
        example: p.example ?? undefined,
        optional: p.optional,
      }),
    ),
    document: t.document,
  };
};
