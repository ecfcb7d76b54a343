// The users of a fake preset application (local/fakes/scim-preset.ts) and the two things a vendor's
// server decides about them: which filters it understands and which PATCH forms it applies.
import type { PresetFakeProfile } from './scim-preset-profiles.ts';

export interface FakeUser {
  readonly id: string;
  userName: string;
  active: boolean;
  externalId?: string;
  displayName?: string;
  emails?: { value: string; primary?: boolean }[];
}

/** A refusal the fake answers with a SCIM error (RFC 7644 §3.12). */
export class FakeScimRefusal extends Error {
  constructor(
    readonly status: number,
    readonly scimType: string | undefined,
    detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
  }
}

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
// `<attr> eq "<JSON string>"`, the only expression eq-only servers parse.
const EQ = /^\s*([A-Za-z][A-Za-z0-9.]*)\s+eq\s+("(?:[^"\\]|\\.)*")\s*$/i;

export function toScim(user: FakeUser): Record<string, unknown> {
  return {
    schemas: [USER],
    id: user.id,
    userName: user.userName,
    active: user.active,
    ...(user.externalId !== undefined && { externalId: user.externalId }),
    ...(user.displayName !== undefined && { displayName: user.displayName }),
    ...(user.emails !== undefined && { emails: user.emails }),
    meta: { resourceType: 'User' },
  };
}

/** The users a filter selects, as the profile's server understands filters; refuses the rest with 400 invalidFilter. */
export function parseFilter(filter: string, profile: PresetFakeProfile): (user: FakeUser) => boolean {
  const clauses = profile.filter === 'full' ? filter.split(/\s+and\s+/i) : [filter];
  const tests = clauses.map((clause) => {
    const m = clause.match(EQ);
    if (!m) {
      throw new FakeScimRefusal(
        400,
        'invalidFilter',
        `only '<attribute> eq "<value>"' filters are supported`,
      );
    }
    const attribute = (m[1] ?? '').toLowerCase();
    if (!profile.filterAttributes.some((a) => a.toLowerCase() === attribute)) {
      throw new FakeScimRefusal(400, 'invalidFilter', `filtering on ${m[1]} is not supported`);
    }
    let value: string;
    try {
      value = JSON.parse(m[2] ?? '') as string;
    } catch {
      throw new FakeScimRefusal(400, 'invalidFilter', 'the filter value is not a valid string');
    }
    const folded = value.toLowerCase();
    return (u: FakeUser): boolean => {
      switch (attribute) {
        case 'username':
          return u.userName.toLowerCase() === folded;
        case 'emails.value':
          return (u.emails ?? []).some((e) => e.value.toLowerCase() === folded);
        case 'externalid':
          return u.externalId === value;
        case 'id':
          return u.id === value;
        default:
          return false;
      }
    };
  });
  return (u) => tests.every((t) => t(u));
}

function activeValue(value: unknown, profile: PresetFakeProfile): boolean {
  if (typeof value === 'boolean') return value;
  // Servers built for Entra take its string booleans ("False"); others refuse them.
  if (profile.stringBooleans && typeof value === 'string' && /^(true|false)$/i.test(value)) {
    return value.toLowerCase() === 'true';
  }
  throw new FakeScimRefusal(400, 'invalidValue', `active must be a boolean, got ${JSON.stringify(value)}`);
}

/** Applies a PatchOp to the user, in the forms the vendor documents; refuses what it does not parse. */
export function applyPatch(user: FakeUser, body: unknown, profile: PresetFakeProfile): void {
  const patch = body as { schemas?: unknown; Operations?: unknown } | undefined;
  if (
    !Array.isArray(patch?.schemas) ||
    !patch.schemas.includes(PATCH_OP) ||
    !Array.isArray(patch.Operations)
  ) {
    throw new FakeScimRefusal(
      400,
      'invalidSyntax',
      `a PATCH body needs schemas [${PATCH_OP}] and Operations`,
    );
  }
  let active = user.active;
  for (const operation of patch.Operations as { op?: unknown; path?: unknown; value?: unknown }[]) {
    const op = typeof operation?.op === 'string' ? operation.op.toLowerCase() : '';
    if (op !== 'replace' && op !== 'add') {
      throw new FakeScimRefusal(
        400,
        'invalidSyntax',
        `op ${JSON.stringify(operation?.op)} is not supported on users`,
      );
    }
    const path = operation.path;
    if (typeof path === 'string' && path.includes('[')) {
      throw new FakeScimRefusal(400, 'invalidPath', 'path selectors with filters are not supported');
    }
    if (typeof path === 'string') {
      if (path.toLowerCase() === 'active') active = activeValue(operation.value, profile);
    } else if (path === undefined && operation.value && typeof operation.value === 'object') {
      const value = operation.value as Record<string, unknown>;
      if ('active' in value) active = activeValue(value.active, profile);
    } else {
      throw new FakeScimRefusal(400, 'invalidSyntax', 'an operation without a path needs an object value');
    }
  }
  user.active = active;
}
