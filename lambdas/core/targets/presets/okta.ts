// An application whose SCIM server was built for Okta's provisioning client (an OIN or AIW SCIM
// integration), not Okta itself: Okta's own directory has no SCIM server API (docs/targets/okta.md).
//   https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20 (Okta finds users with
//   `filter=userName eq "…"`, deactivates with `op: replace, value: {active: false}`, never DELETEs)
import type { TargetPreset } from './preset.ts';

export const okta: TargetPreset = {
  name: 'okta',
  application: 'an application built for Okta SCIM provisioning',
  placeholders: {},
  auth: { type: 'bearer' },
  // Okta never sends DELETE: such servers may not implement it.
  leaverAction: 'deactivate',
  quirks: { patchStyle: 'okta', filter: 'eq-only', paging: 'index', maxPageSize: 100 },
  // Okta's client only guarantees `userName eq` lookups.
  matchAttributes: ['userName'],
  rateBudget: { requestsPerSecond: 5, burst: 5 },
  sources: ['https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20'],
};
