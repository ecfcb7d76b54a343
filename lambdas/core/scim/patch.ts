// The PATCH bodies scimitar sends, in the shape each kind of server expects (see docs/scim-client.md):
// the RFC 7644 form by default, Entra ID's and Okta's where a target is built for those clients.

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type PatchStyle = 'rfc' | 'entra' | 'okta';

export interface PatchOperation {
  readonly op: string;
  readonly path?: string;
  readonly value?: unknown;
}

export interface PatchRequest {
  readonly schemas: readonly [typeof PATCH_OP_SCHEMA];
  readonly Operations: readonly PatchOperation[];
}

function patchRequest(...operations: PatchOperation[]): PatchRequest {
  return { schemas: [PATCH_OP_SCHEMA], Operations: operations };
}

/** Sets `active` to false. Never a PUT: servers re-enable users on a PUT that omits `active`. */
export function deactivateRequest(style: PatchStyle): PatchRequest {
  switch (style) {
    case 'rfc':
      return patchRequest({ op: 'replace', path: 'active', value: false });
    case 'entra':
      return patchRequest({ op: 'Replace', path: 'active', value: 'False' });
    case 'okta':
      return patchRequest({ op: 'replace', value: { active: false } });
  }
}

/** Removes one member from a group. A server answering noTarget already lacks the member. */
export function removeMemberRequest(style: PatchStyle, userId: string): PatchRequest {
  if (style === 'entra') return patchRequest({ op: 'Remove', path: 'members', value: [{ value: userId }] });
  return patchRequest({ op: 'remove', path: `members[value eq ${JSON.stringify(userId)}]` });
}

/**
 * Adds one member to a group (RFC 7644 §3.5.2.1: `add` on the multi-valued `members`); Entra ID
 * and Okta send the same operation (Entra with `Add`).
 */
export function addMemberRequest(style: PatchStyle, userId: string): PatchRequest {
  return patchRequest({ op: style === 'entra' ? 'Add' : 'add', path: 'members', value: [{ value: userId }] });
}
