/**
 * TagResource, UntagResource, ListTagsForResource on job, jobtemplate, thing,
 * thinggroup, package and package version ARNs: their requests decoded, their
 * answers shaped (the checks and the changes: account/tags.ts).
 */
import * as tags from "../account/tags.ts";
import * as decode from "./decode.ts";
import { compact, type Handler } from "./handler.ts";

export const tagResource: Handler = (world, { body }) => {
  tags.tagResource(world, {
    resourceArn: decode.requiredText("resourceArn", body.resourceArn),
    tags: decode.requiredTagList("tags", body.tags),
  });
  return {};
};

export const untagResource: Handler = (world, { body }) => {
  tags.untagResource(world, {
    resourceArn: decode.requiredText("resourceArn", body.resourceArn),
    tagKeys: decode.requiredTexts("tagKeys", body.tagKeys),
  });
  return {};
};

export const listTagsForResource: Handler = (world, { query }) => {
  const page = tags.listTagsForResource(world, {
    resourceArn: decode.requiredText("resourceArn", query.resourceArn),
    nextToken: query.nextToken,
  });
  return compact({ tags: page.items, nextToken: page.nextToken });
};
