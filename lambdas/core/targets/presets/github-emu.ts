// GitHub Enterprise Cloud with Enterprise Managed Users: the enterprise's SCIM API (docs/targets/github-emu.md).
// Base URL, bearer token and the documented PATCH body:
//   https://docs.github.com/en/enterprise-cloud@latest/rest/enterprise-admin/scim
//   https://docs.github.com/en/enterprise-cloud@latest/admin/managing-iam/provisioning-user-accounts-for-enterprise-managed-users/provisioning-users-and-groups-with-scim-using-the-rest-api
// Filters: only `eq` on userName and externalId are documented for the user list.
// User-Agent required (403 without): https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent
import type { TargetPreset } from './preset.ts';

export const githubEmu: TargetPreset = {
  name: 'github-emu',
  application: 'GitHub Enterprise Managed Users',
  baseUrl: 'https://api.github.com/scim/v2/enterprises/{enterprise}',
  placeholders: { enterprise: 'the enterprise slug, as in https://github.com/enterprises/<slug>' },
  auth: { type: 'bearer' },
  // active=false suspends the managed user (reversible); DELETE removes the identity for good.
  leaverAction: 'deactivate',
  // GitHub's documented deactivation is `op: replace, value: {active: false}` without a path.
  quirks: { patchStyle: 'okta', filter: 'eq-only', paging: 'index', maxPageSize: 100 },
  matchAttributes: ['userName', 'externalId'],
  // About 1,000 users an hour (docs/targets/github-emu.md): a revocation is about three requests
  // (find, write, read back), so 0.75 requests a second keeps under 1,000 leavers an hour.
  rateBudget: { requestsPerSecond: 0.75, burst: 5 },
  sources: [
    'https://docs.github.com/en/enterprise-cloud@latest/rest/enterprise-admin/scim',
    'https://docs.github.com/en/enterprise-cloud@latest/admin/managing-iam/provisioning-user-accounts-for-enterprise-managed-users/provisioning-users-and-groups-with-scim-using-the-rest-api',
  ],
};
