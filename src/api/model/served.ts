/**
 * The IoT API operations the local endpoint serves. The generated model table
 * (iot.generated.ts) covers these, and the endpoint's routes are theirs.
 */
export const SERVED_OPERATIONS = [
  "CreateJobTemplate",
  "DescribeJobTemplate",
  "ListJobTemplates",
  "DeleteJobTemplate",
  "CreateJob",
  "UpdateJob",
  "DescribeJob",
  "ListJobs",
  "CancelJob",
  "DeleteJob",
  "AssociateTargetsWithJob",
  "GetJobDocument",
  "ListManagedJobTemplates",
  "DescribeManagedJobTemplate",
  "TagResource",
  "UntagResource",
  "ListTagsForResource",
  "DescribeJobExecution",
  "ListJobExecutionsForJob",
  "ListJobExecutionsForThing",
  "CancelJobExecution",
  "DeleteJobExecution",
  "CreateThing",
  "DescribeThing",
  "UpdateThing",
  "DeleteThing",
  "CreateThingGroup",
  "DescribeThingGroup",
  "UpdateThingGroup",
  "DeleteThingGroup",
  "AddThingToThingGroup",
  "RemoveThingFromThingGroup",
  "ListThingGroupsForThing",
  "ListThingsInThingGroup",
] as const;

export type ServedOperation = (typeof SERVED_OPERATIONS)[number];
