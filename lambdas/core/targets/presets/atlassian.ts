// Atlassian Cloud (Guard / Access): the user provisioning REST API of one identity-provider
// directory (docs/targets/atlassian.md).
//   https://developer.atlassian.com/cloud/admin/user-provisioning/rest/intro/ (directory base URL,
//   directory API key as bearer, "DELETE deactivates the user account")
//   https://docs.go-atlassian.io/atlassian-admin-cloud/scim/users (single `eq` on userName and
//   externalId; a deactivated user answers 404 to every later call)
import type { TargetPreset } from './preset.ts';

export const atlassian: TargetPreset = {
  name: 'atlassian',
  application: 'Atlassian Cloud',
  baseUrl: 'https://api.atlassian.com/scim/directory/{directoryId}',
  placeholders: {
    directoryId: "the id after 'directory/' in the Directory base URL shown when the API key is made",
  },
  auth: { type: 'bearer' },
  // DELETE cannot delete an Atlassian account: it deactivates it, as active=false does.
  leaverAction: 'deactivate',
  quirks: { patchStyle: 'rfc', filter: 'eq-only', paging: 'index', maxPageSize: 100 },
  matchAttributes: ['userName', 'externalId'],
  // No per-second number is published; 429 answers carry Retry-After, which the client honours.
  rateBudget: { requestsPerSecond: 5, burst: 5 },
  sources: [
    'https://developer.atlassian.com/cloud/admin/user-provisioning/rest/intro/',
    'https://developer.atlassian.com/cloud/admin/user-provisioning/rest/api-group-users/',
  ],
};
