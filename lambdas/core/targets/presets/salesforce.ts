// Salesforce: the SCIM 2.0 endpoints of an org's My Domain (docs/targets/salesforce.md).
//   https://help.salesforce.com/s/articleView?id=xcloud.identity_scim_rest_api.htm (endpoints under
//   https://MyDomainName.my.salesforce.com/services/scim/v2, OAuth 2.0 access token)
//   https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.identity_scim_deactivate_reactivate_user.htm
//   (users are deactivated, never deleted; PATCH `op: replace, value: {active: false}`; DELETE
//   deactivates too)
import type { TargetPreset } from './preset.ts';

export const salesforce: TargetPreset = {
  name: 'salesforce',
  application: 'Salesforce',
  baseUrl: 'https://{myDomain}.my.salesforce.com/services/scim/v2',
  placeholders: { myDomain: 'the My Domain name, as in https://<name>.my.salesforce.com' },
  // The client credentials flow of a connected (or external client) app with a run-as user.
  auth: {
    type: 'oauth2-client-credentials',
    tokenUrl: 'https://{myDomain}.my.salesforce.com/services/oauth2/token',
  },
  leaverAction: 'deactivate',
  quirks: { patchStyle: 'okta', filter: 'full', paging: 'index', maxPageSize: 100 },
  // Salesforce counts API calls per org per 24 hours, not per second: the default budget.
  rateBudget: { requestsPerSecond: 5, burst: 5 },
  sources: [
    'https://help.salesforce.com/s/articleView?id=xcloud.identity_scim_rest_api.htm',
    'https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.identity_scim_deactivate_reactivate_user.htm',
  ],
};
