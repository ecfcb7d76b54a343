// What each preset's vendor documents about its SCIM server, as switches of the fake application
// (local/fakes/scim-preset.ts). The sources are those of the preset (lambdas/core/targets/presets/*);
// where a vendor documents nothing, the fake does what RFC 7644 says (marked "RFC").
import type { PresetName } from '../../lambdas/core/targets/presets/index.ts';

export interface PresetFakeProfile {
  readonly preset: PresetName;
  /** The SCIM base path below the host, placeholders filled with example values. */
  readonly basePath: string;
  /** 'eq-only': one `<attr> eq "<value>"`; 'full': also `and` of such clauses. Anything else: 400 invalidFilter. */
  readonly filter: 'full' | 'eq-only';
  /** Attributes a filter may name; others: 400 invalidFilter. */
  readonly filterAttributes: readonly string[];
  /** 'cursor': a `cursor` query parameter switches to RFC 9865 answers (nextCursor, no totalResults). */
  readonly paging: 'index' | 'cursor';
  /** Largest page answered, whatever `count` asks. */
  readonly maxResults: number;
  /** 'not-found': a deactivated user answers 404 to every call and leaves every list (Atlassian). */
  readonly deactivated: 'visible' | 'not-found';
  /** What DELETE does: remove the user, or only deactivate it (Slack, Atlassian, Salesforce). */
  readonly onDelete: 'delete' | 'deactivate';
  /** 200 with the user (RFC) or 204 without a body. */
  readonly patchAnswer: 200 | 204;
  /** Accepts Entra's "True"/"False" strings for `active`. */
  readonly stringBooleans?: boolean;
  /**
   * Where the server describes itself. @default '/ServiceProviderConfig' (RFC 7644 §4; Salesforce
   * lists `/ServiceProviderConfigs`)
   */
  readonly serviceProviderConfigPath?: string;
  /** Refuses requests without a User-Agent (GitHub: 403). */
  readonly requireUserAgent?: boolean;
  /** At most `requests` per fixed window, 429 with Retry-After past it. */
  readonly rateLimit?: { readonly requests: number; readonly windowMs: number };
  /**
   * An OAuth 2.0 token endpoint on the same host: Salesforce's client credentials, or Zoom's
   * server-to-server `account_credentials` grant for one account id.
   */
  readonly oauth?: {
    readonly tokenPath: string;
    readonly grant?: 'client_credentials' | 'account_credentials';
    readonly accountId?: string;
  };
}

export const presetFakeProfiles: Readonly<Record<PresetName, PresetFakeProfile>> = {
  'github-emu': {
    preset: 'github-emu',
    basePath: '/scim/v2/enterprises/acme',
    filter: 'eq-only',
    filterAttributes: ['userName', 'externalId'],
    paging: 'index',
    maxResults: 100,
    deactivated: 'visible',
    onDelete: 'delete',
    patchAnswer: 200,
    requireUserAgent: true,
  },
  slack: {
    preset: 'slack',
    basePath: '/scim/v2',
    filter: 'full',
    filterAttributes: ['userName', 'emails.value'],
    paging: 'index',
    maxResults: 100,
    deactivated: 'visible',
    onDelete: 'deactivate',
    patchAnswer: 200,
    // 180 user writes a minute (the fake counts every request, so it is stricter than Slack).
    rateLimit: { requests: 180, windowMs: 60_000 },
  },
  atlassian: {
    preset: 'atlassian',
    basePath: '/scim/directory/abcdeg1234',
    filter: 'eq-only',
    filterAttributes: ['userName', 'externalId'],
    paging: 'index',
    maxResults: 100,
    deactivated: 'not-found',
    onDelete: 'deactivate',
    patchAnswer: 200,
  },
  zoom: {
    preset: 'zoom',
    basePath: '/scim2',
    filter: 'full',
    filterAttributes: ['userName', 'emails.value', 'externalId'],
    paging: 'index',
    maxResults: 100,
    deactivated: 'visible',
    onDelete: 'delete',
    patchAnswer: 200,
    // 1 request a second per account (per endpoint; the fake counts them all together).
    rateLimit: { requests: 1, windowMs: 1_000 },
    // https://developers.zoom.us/docs/rooms/s2s-oauth/ (on zoom.us; the fake serves it itself).
    oauth: { tokenPath: '/oauth/token', grant: 'account_credentials', accountId: 'zoom-account-1' },
  },
  okta: {
    preset: 'okta',
    basePath: '/scim/v2',
    filter: 'eq-only',
    filterAttributes: ['userName'],
    paging: 'index',
    maxResults: 100,
    deactivated: 'visible',
    onDelete: 'delete',
    patchAnswer: 200,
  },
  entra: {
    preset: 'entra',
    basePath: '/scim',
    filter: 'eq-only',
    filterAttributes: ['userName', 'externalId'],
    paging: 'index',
    maxResults: 100,
    deactivated: 'visible',
    onDelete: 'delete',
    patchAnswer: 200,
    stringBooleans: true,
  },
  'aws-iam-identity-center': {
    preset: 'aws-iam-identity-center',
    basePath: '/d-1234567890/scim/v2',
    filter: 'eq-only',
    filterAttributes: ['userName', 'externalId', 'id'],
    paging: 'cursor',
    maxResults: 100,
    deactivated: 'visible',
    onDelete: 'delete',
    patchAnswer: 204,
  },
  salesforce: {
    preset: 'salesforce',
    basePath: '/services/scim/v2',
    filter: 'full',
    filterAttributes: ['userName', 'emails.value', 'externalId', 'id'],
    paging: 'index',
    maxResults: 100,
    deactivated: 'visible',
    onDelete: 'deactivate',
    patchAnswer: 200,
    oauth: { tokenPath: '/services/oauth2/token' },
    serviceProviderConfigPath: '/ServiceProviderConfigs',
  },
};
