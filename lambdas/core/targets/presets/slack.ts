// Slack (Business+ and Enterprise Grid): the SCIM API (docs/targets/slack.md).
//   https://docs.slack.dev/reference/scim-api/scim-api
//   https://docs.slack.dev/reference/scim-api/rate-limits (writes 600/min org-wide, burst 180;
//   PATCH or DELETE a user 180/min, burst 20; the limits are shared by every SCIM app of the org)
import type { TargetPreset } from './preset.ts';

export const slack: TargetPreset = {
  name: 'slack',
  application: 'Slack',
  baseUrl: 'https://api.slack.com/scim/v2',
  placeholders: {},
  // An OAuth token with the `admin` scope, installed by an org owner or admin.
  auth: { type: 'bearer' },
  // Slack's DELETE deactivates too; deactivation keeps the member's messages and files.
  leaverAction: 'deactivate',
  quirks: { patchStyle: 'rfc', filter: 'full', paging: 'index', maxPageSize: 100 },
  // 180 user writes a minute with bursts of 20.
  rateBudget: { requestsPerSecond: 3, burst: 20 },
  sources: [
    'https://docs.slack.dev/reference/scim-api/scim-api',
    'https://docs.slack.dev/reference/scim-api/rate-limits',
  ],
};
