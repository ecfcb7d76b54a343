// Sample configuration: drives the local demo (`npm start`) and the tests. Copy it into your
// deployment repository and point the targets at your applications' SCIM endpoints.
import { defineConfig } from './lambdas/core/model/config.ts';

export default defineConfig({
  stackName: 'Scimitar',
  sources: [
    { id: 'bamboohr', kind: 'bamboohr' },
    { id: 'generic', kind: 'generic' },
  ],
  targets: [
    {
      id: 'code',
      kind: 'scim',
      displayName: 'Code hosting (demo)',
      owner: 'platform-team@example.com',
      tier: 'privileged',
      baseUrl: 'http://localhost:4101/scim/v2',
      leaverAction: 'deactivate',
      matchAttribute: 'userName',
      removeFromGroups: true,
      rateBudget: { requestsPerSecond: 5, burst: 3 },
      quirks: { patchStyle: 'rfc', userAgent: 'scimitar-demo' },
    },
    {
      id: 'chat',
      kind: 'scim',
      displayName: 'Team chat (demo)',
      owner: 'it-ops@example.com',
      baseUrl: 'http://localhost:4102/scim/v2',
      leaverAction: 'delete',
      matchAttribute: 'userName',
      quirks: { patchStyle: 'entra' },
    },
    {
      id: 'wiki',
      kind: 'scim',
      displayName: 'Wiki (demo)',
      owner: 'it-ops@example.com',
      baseUrl: 'http://localhost:4103/scim/v2',
      leaverAction: 'deactivate-then-delete',
      deleteAfterDays: 30,
      matchAttribute: 'email',
      quirks: { patchStyle: 'okta' },
      allowList: ['wiki-bot'],
    },
    {
      // Ends every leaver's Okta sessions and OAuth tokens (docs/sessions.md); locally a fake Okta org.
      id: 'sso',
      kind: 'session',
      provider: 'okta',
      displayName: 'Okta sessions (demo)',
      owner: 'identity-team@example.com',
      baseUrl: 'http://localhost:4104',
      matchAttribute: 'email',
    },
    {
      id: 'payroll',
      kind: 'manual',
      displayName: 'Legacy payroll',
      owner: 'finance-systems@example.com',
      tier: 'privileged',
      coverage: {
        status: 'manual-runbook',
        compensatingControl:
          'Owner disables the account from the admin console within 1 business day; quarterly access review.',
        reviewCadenceDays: 90,
      },
    },
  ],
  alerts: { email: 'security-alerts@example.com' },
  reconciliation: { schedule: 'rate(1 day)' },
  blastRadius: { maxShare: 0.1, windowMinutes: 60, floor: 5 },
});
