// Builds the SCIM filter that finds a leaver's account and decides, attribute by attribute, whether a
// returned candidate really is that account: the server's filter is a hint, this comparison decides.
import type { ScimAccount } from './responses.ts';

/** How a leaver is matched to an account in a target. */
export type MatchAttribute = 'userName' | 'externalId' | 'email';

export interface AccountMatch {
  readonly attribute: MatchAttribute;
  readonly value: string;
}

const FILTER_PATHS: Record<MatchAttribute, string> = {
  userName: 'userName',
  externalId: 'externalId',
  email: 'emails.value',
};

/**
 * The filter expression for an exact match, the value written as a JSON string (RFC 7644 §3.4.2.2),
 * so quotes and backslashes are escaped rather than ending the string. Not URL-encoded: the caller
 * encodes the whole filter as one query parameter.
 */
export function buildFilter(match: AccountMatch): string {
  return `${FILTER_PATHS[match.attribute]} eq ${JSON.stringify(match.value)}`;
}

/**
 * False for values that many servers' filter parsers get wrong: JSON escapes (`"`, `\`, control
 * characters) are not understood by them (SCIMMY, among others), so for such a value a filter answer
 * of "nobody" proves nothing.
 */
export function isFilterSafe(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we look for
  return !/["\\\u0000-\u001f\u007f]/.test(value);
}

/**
 * Whether the account is the one the match names, per RFC 7643: userName and emails compare without
 * regard to case (caseExact=false), externalId exactly (caseExact=true). No trimming, no Unicode
 * normalisation: a value that differs in any other way is another person.
 */
export function matchesExactly(account: ScimAccount, match: AccountMatch): boolean {
  switch (match.attribute) {
    case 'userName':
      return account.userName.toLowerCase() === match.value.toLowerCase();
    case 'externalId':
      return account.externalId === match.value;
    case 'email': {
      const wanted = match.value.toLowerCase();
      return account.emails.some((e) => e.value !== undefined && e.value.toLowerCase() === wanted);
    }
  }
}
