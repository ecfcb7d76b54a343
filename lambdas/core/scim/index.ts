// Public surface of the SCIM 2.0 client: import from here, not from the files behind it.
export {
  DEFAULT_QUIRKS,
  type FindResult,
  type GroupRemoval,
  type PendingWrite,
  type ProbeReport,
  type RequestRecord,
  type RevokeEvidence,
  type RevokeRequest,
  ScimClient,
  type ScimClientOptions,
  type ScimQuirks,
  type Verified,
} from './client.ts';
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
  ScimVerificationError,
} from './errors.ts';
export {
  type AccountMatch,
  buildFilter,
  isFilterSafe,
  type MatchAttribute,
  matchesExactly,
} from './filter.ts';
export type { ListedPage, ListPosition, PagingStyle } from './paging.ts';
export { PATCH_OP_SCHEMA, type PatchRequest, type PatchStyle } from './patch.ts';
export type { ScimAccount } from './responses.ts';
