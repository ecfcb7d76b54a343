// What a target's secret holds, read and written only here: either the bare credential (a bearer
// token, or an OAuth2 client secret), or a JSON object whose `token` (bearer) or `clientSecret`
// (OAuth2) field holds it, beside fields scimitar keeps as they are. Workers read it; rotation writes it.
import type { ScimTargetConfig } from '../model/config.ts';
import { ScimitarError } from '../model/errors.ts';

/** The JSON field holding the credential. */
export type CredentialField = 'token' | 'clientSecret';

/** The secret is not in the stored format. The message never quotes the value: it is a credential. */
export class SecretFormatError extends ScimitarError {
  constructor(message: string) {
    super(message);
    this.name = 'SecretFormatError';
  }
}

/** Where a target's credential sits in its secret: `token` for bearer auth, `clientSecret` for OAuth2. */
export function credentialFieldFor(target: ScimTargetConfig): CredentialField {
  return target.auth.type === 'bearer' ? 'token' : 'clientSecret';
}

/** The credential the secret holds: the bare value (trimmed), or the JSON field. */
export function credentialFromSecret(value: string, field: CredentialField): string {
  const fields = jsonFields(value, field);
  if (fields === undefined) return value.trim();
  const found = fields[field];
  if (typeof found !== 'string' || found.length === 0) {
    throw new SecretFormatError(`the target's secret is JSON without a "${field}" string field`);
  }
  return found;
}

/** The new secret value in the current one's format: bare stays bare, JSON keeps its other fields. */
export function withCredential(current: string, field: CredentialField, credential: string): string {
  const fields = jsonFields(current, field);
  return fields === undefined ? credential : JSON.stringify({ ...fields, [field]: credential });
}

/** The secret's JSON fields, or undefined for a bare value. */
function jsonFields(value: string, field: CredentialField): Record<string, unknown> | undefined {
  const trimmed = value.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new SecretFormatError(
      `the target's secret looks like JSON but does not parse; store the bare ${field} or valid JSON`,
    );
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : {};
}
