// A deployment config at scale: N SCIM targets (a mix of tiers, leaver actions, auth and rotation
// strategies, as a large company's would be) plus manual ones, for the tests that prove one
// deployment holds them all within CloudFormation's limits, and for `npm run synth` on
// test/fixtures/scale/200-targets.config.ts.
import type { ScimitarConfigInput } from '../../lambdas/core/model/config.ts';

type TargetInput = ScimitarConfigInput['targets'][number];

/** Target ids as long as the config allows (32 characters), so names and templates are at their largest. */
function targetId(i: number): string {
  return `application-${String(i).padStart(3, '0')}-with-a-long-id`.slice(0, 32);
}

function scimTarget(i: number): TargetInput {
  const id = targetId(i);
  const base = {
    id,
    kind: 'scim' as const,
    displayName: `Application ${i} (generated for the scale test)`,
    owner: `owner-${i}@example.com`,
    tier: i % 10 === 0 ? ('privileged' as const) : ('standard' as const),
    baseUrl: `https://app-${i}.example.com/scim/v2`,
    rateBudget: { requestsPerSecond: 1 + (i % 20), burst: 1 + (i % 10) },
    allowList: [`svc-${i}-bot`],
  };
  switch (i % 4) {
    case 0:
      return { ...base, leaverAction: 'deactivate' };
    case 1:
      return { ...base, leaverAction: 'delete', quirks: { patchStyle: 'entra' } };
    case 2:
      return {
        ...base,
        leaverAction: 'deactivate-then-delete',
        deleteAfterDays: 30,
        rotation: { strategy: 'api', endpoint: `https://app-${i}.example.com/tokens` },
      };
    default:
      return {
        ...base,
        auth: {
          type: 'oauth2-client-credentials',
          tokenUrl: `https://login-${i}.example.com/oauth2/token`,
          clientId: `scimitar-${i}`,
        },
        rotation: { strategy: 'oauth2' },
      };
  }
}

function manualTarget(i: number): TargetInput {
  return {
    id: `manual-${String(i).padStart(3, '0')}`,
    kind: 'manual',
    displayName: `Legacy application ${i}`,
    owner: `legacy-${i}@example.com`,
    coverage: {
      status: 'manual-runbook',
      compensatingControl: 'The owner disables the account by hand within one business day.',
      reviewCadenceDays: 90,
    },
  };
}

/** A config with `scim` SCIM targets and `manual` manual ones. */
export function scaleConfig(scim: number, manual = 0, stackName = 'ScimitarScale'): ScimitarConfigInput {
  return {
    stackName,
    sources: [
      // Its roster pulled from the HRIS API too (issue 17), and a Workday tenant polled.
      { id: 'bamboohr', kind: 'bamboohr', api: { companyDomain: 'example' } },
      { id: 'generic', kind: 'generic' },
      {
        id: 'workday',
        kind: 'workday',
        host: 'https://wd2-impl-services1.workday.com',
        tenant: 'example',
        terminations: { report: 'ISU_Scimitar/Scimitar_Terminations' },
      },
    ],
    roster: { source: 'bamboohr' },
    targets: [
      ...Array.from({ length: scim }, (_, i) => scimTarget(i)),
      ...Array.from({ length: manual }, (_, i) => manualTarget(i)),
    ],
    alerts: { email: 'security-alerts@example.com' },
    reconciliation: { schedule: 'rate(1 day)' },
  };
}
