// Zoom: the SCIM2 API (docs/targets/zoom.md).
//   https://developers.zoom.us/docs/api/rest/scim-api/ (host api.zoom.us, OAuth app with the
//   `scim2` scope, Accept: application/scim+json)
//   https://marketplace.zoom.us/docs/api-reference/scim-api/ ("Each SCIM2 API endpoint has a rate
//   limit of 1 request/second per account")
import type { TargetPreset } from './preset.ts';

export const zoom: TargetPreset = {
  name: 'zoom',
  application: 'Zoom',
  baseUrl: 'https://api.zoom.us/scim2',
  placeholders: {},
  // A token of an OAuth app with the scim2 scope (see docs/targets/zoom.md on its lifetime).
  auth: { type: 'bearer' },
  // Deactivation blocks sign-in and keeps the user; DELETE removes the user (docs/targets/zoom.md).
  leaverAction: 'deactivate',
  quirks: { patchStyle: 'rfc', filter: 'full', paging: 'index', maxPageSize: 100 },
  rateBudget: { requestsPerSecond: 1, burst: 1 },
  sources: [
    'https://developers.zoom.us/docs/api/rest/scim-api/',
    'https://marketplace.zoom.us/docs/api-reference/scim-api/',
  ],
};
