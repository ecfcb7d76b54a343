// What a preset is: the facts about one real application's SCIM API that a target would otherwise
// tune by hand (base URL, auth, PATCH shape, filter and paging quirks, leaver action, rate limit),
// each taken from the vendor's public documentation, whose addresses the preset lists.
import type { PresetName } from './names.ts';

export type PresetAuth =
  | { readonly type: 'bearer' }
  | {
      readonly type: 'oauth2-client-credentials';
      /** May hold the same `{placeholders}` as the base URL. */
      readonly tokenUrl: string;
      readonly scope?: string;
      readonly grantType?: 'client_credentials' | 'account_credentials';
      /** May be a `{placeholder}`. */
      readonly accountId?: string;
    };

export interface PresetQuirks {
  readonly patchStyle: 'rfc' | 'entra' | 'okta';
  readonly filter: 'full' | 'eq-only';
  readonly paging: 'index' | 'cursor';
  readonly maxPageSize: number;
}

export interface TargetPreset {
  readonly name: PresetName;
  /** The application, as its vendor names it. */
  readonly application: string;
  /**
   * The SCIM base URL, with `{name}` placeholders the target fills through `presetValues`.
   * @default - none: the preset fits any application built a certain way; the target gives baseUrl
   */
  readonly baseUrl?: string;
  /** What each placeholder is and where the user finds it. */
  readonly placeholders: Readonly<Record<string, string>>;
  readonly auth: PresetAuth;
  /** The leaver action the preset defaults to (see the preset's docs/targets page for why). */
  readonly leaverAction: 'deactivate' | 'delete';
  readonly quirks: PresetQuirks;
  /**
   * Match attributes the application's filter supports. A target choosing another is refused.
   * @default - any
   */
  readonly matchAttributes?: readonly ('userName' | 'externalId' | 'email')[];
  /** The documented rate limit, as a rate budget. */
  readonly rateBudget: { readonly requestsPerSecond: number; readonly burst: number };
  /** The public documentation each fact comes from. */
  readonly sources: readonly string[];
}

/** A placeholder value: a plain name, so it can never add a host, a path or a query to the URL. */
export const PLACEHOLDER_VALUE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$/;
export const PLACEHOLDER_RULE =
  'must be 1-128 letters, digits, dots, dashes or underscores, starting and ending with a letter or digit, without ".."';

export function isPlaceholderValue(value: unknown): value is string {
  return typeof value === 'string' && PLACEHOLDER_VALUE.test(value) && !value.includes('..');
}

/** Every placeholder the preset's patterns name (base URL, token URL, account id). */
export function patternPlaceholders(preset: TargetPreset): string[] {
  const patterns = [preset.baseUrl ?? ''];
  if (preset.auth.type === 'oauth2-client-credentials')
    patterns.push(preset.auth.tokenUrl, preset.auth.accountId ?? '');
  return [...new Set(patterns.flatMap(placeholdersOf))];
}

/** The placeholders a pattern names, in order. */
export function placeholdersOf(pattern: string): string[] {
  return [...pattern.matchAll(/\{([A-Za-z][A-Za-z0-9]*)\}/g)].map((m) => m[1] as string);
}

/** Fills every `{name}` of the pattern; the caller has checked that each value is present and plain. */
export function fillPattern(pattern: string, values: Readonly<Record<string, string>>): string {
  return pattern.replace(/\{([A-Za-z][A-Za-z0-9]*)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`preset pattern ${pattern}: no value for {${name}}`);
    return value;
  });
}
