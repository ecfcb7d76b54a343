// AWS IAM Identity Center: its SCIM implementation (docs/targets/aws-iam-identity-center.md).
//   https://docs.aws.amazon.com/singlesignon/latest/developerguide/serviceproviderconfig.html
//   (https://scim.<region>.amazonaws.com/<tenant id>/scim/v2, bearer access token)
//   https://docs.aws.amazon.com/singlesignon/latest/developerguide/limitations.html (only `eq`
//   with `and`; no /Bulk; PatchGroup cannot remove all or replace)
//   https://docs.aws.amazon.com/singlesignon/latest/developerguide/listgroups.html (cursor paging,
//   count at most 100; a cursor answer has nextCursor and no totalResults)
import type { TargetPreset } from './preset.ts';

export const awsIamIdentityCenter: TargetPreset = {
  name: 'aws-iam-identity-center',
  application: 'AWS IAM Identity Center',
  baseUrl: 'https://scim.{region}.amazonaws.com/{tenantId}/scim/v2',
  placeholders: {
    region: 'the Region of the Identity Center instance, e.g. us-east-1',
    tenantId: 'the id in the SCIM endpoint shown under Settings > Automatic provisioning',
  },
  auth: { type: 'bearer' },
  // A disabled user cannot sign in and keeps their assignments until deleted.
  leaverAction: 'deactivate',
  quirks: { patchStyle: 'rfc', filter: 'eq-only', paging: 'cursor', maxPageSize: 100 },
  matchAttributes: ['userName', 'externalId'],
  // No SCIM rate is published (ThrottlingException, 429, is documented): the default budget.
  rateBudget: { requestsPerSecond: 5, burst: 5 },
  sources: [
    'https://docs.aws.amazon.com/singlesignon/latest/developerguide/serviceproviderconfig.html',
    'https://docs.aws.amazon.com/singlesignon/latest/developerguide/limitations.html',
    'https://docs.aws.amazon.com/singlesignon/latest/developerguide/listgroups.html',
  ],
};
