// Public surface of the SCIM 2.0 client: import from here, not from the files behind it.
export { ScimClient } from './client.ts';
export {
  BearerToken,
  type CredentialSource,
  CredentialUnavailableError,
  OAuth2ClientCredentials,
  type OAuth2ClientCredentialsOptions,
  type SecretProvider,
} from './credentials.ts';
export {
  parseRetryAfter,
  ScimAccountMismatchError,
  ScimAmbiguousMatchError,
  ScimCredentialError,
  ScimError,
  type ScimErrorDetails,
  ScimMalformedResponseError,
  ScimNotFoundError,
  ScimPagingError,
  ScimPermanentError,
  ScimRetryableError,
  ScimThrottledError,
  ScimVerificationError,
} from './errors.ts';
export {
  type AccountMatch,
  buildFilter,
  isFilterSafe,
  type MatchAttribute,
  matchesExactly,
} from './filter.ts';
export type { GroupWithMembers, ManagedGroupMembers } from './group-members.ts';
export type { GroupRemoval } from './groups.ts';
export type { ManagedGroup, ManagedGroups, MembershipChange, MembershipSource } from './memberships.ts';
export {
  DEFAULT_QUIRKS,
  DEFAULT_THROTTLE_WAIT_MAX_MS,
  type RateLimitSignal,
  type RequestRecord,
  type ScimClientOptions,
  type ScimQuirks,
} from './options.ts';
export type { ListedPage, ListPosition, PagingStyle } from './paging.ts';
export { PATCH_OP_SCHEMA, type PatchRequest, type PatchStyle } from './patch.ts';
export type { ProbeReport } from './probe.ts';
export {
  DEFAULT_THROTTLE_WAIT_MS,
  isThrottled,
  MAX_THROTTLE_WAIT_MS,
  parseReset,
  rateLimitSignal,
} from './rate-limit.ts';
export type { FindResult } from './resources.ts';
export type { ScimAccount } from './responses.ts';
export type { PendingWrite, RevokeEvidence, RevokeRequest, Verified } from './revoke.ts';
export type {
  FoundAccount,
  MembershipPlan,
  MembershipUpdateEvidence,
  MembershipUpdateRequest,
} from './update-memberships.ts';
