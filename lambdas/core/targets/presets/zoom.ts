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
  placeholders: { accountId: "the Account ID on the server-to-server OAuth app's App Credentials page" },
  // A server-to-server OAuth app with the scim2 scope: tokens of an hour from the
  // account_credentials grant (https://developers.zoom.us/docs/rooms/s2s-oauth/).
  auth: {
    type: 'oauth2-client-credentials',
    tokenUrl: 'https://zoom.us/oauth/token',
    grantType: 'account_credentials',
    accountId: '{accountId}',
  },
  // Deactivation blocks sign-in and keeps the user; DELETE removes the user (docs/targets/zoom.md).
  leaverAction: 'deactivate',
  quirks: { patchStyle: 'rfc', filter: 'full', paging: 'index', maxPageSize: 100 },
  // 1 request a second, counted per window: requests spaced exactly 1 s apart can still meet in one
  // window when the first is delayed more on its way than the second (a busy worker, the network).
  // 0.9 a second leaves each request about 110 ms of such delay before it draws a 429.
  rateBudget: { requestsPerSecond: 0.9, burst: 1 },
  sources: [
    'https://developers.zoom.us/docs/api/rest/scim-api/',
    'https://marketplace.zoom.us/docs/api-reference/scim-api/',
    'https://developers.zoom.us/docs/rooms/s2s-oauth/',
  ],
};
