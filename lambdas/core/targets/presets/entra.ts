// An application whose SCIM server was built for the Microsoft Entra provisioning service, not
// Entra ID itself (docs/targets/entra.md).
//   https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups
//   (servers must answer `userName eq` and `externalId eq` filters; Entra deactivates with a PATCH
//   setting active, soft-deletes instead of DELETE)
//   https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility
//   (the default PATCH shape: `op: "Replace"`, `value: "False"` as a string)
import type { TargetPreset } from './preset.ts';

export const entra: TargetPreset = {
  name: 'entra',
  application: 'an application built for Microsoft Entra provisioning',
  placeholders: {},
  auth: { type: 'bearer' },
  leaverAction: 'deactivate',
  quirks: { patchStyle: 'entra', filter: 'eq-only', paging: 'index', maxPageSize: 100 },
  matchAttributes: ['userName', 'externalId'],
  rateBudget: { requestsPerSecond: 5, burst: 5 },
  sources: [
    'https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups',
    'https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility',
  ],
};
