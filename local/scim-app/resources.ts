// SCIMMY's resource handlers for the demo SCIM application (local/scim-app.ts), and the
// corrections to SCIMMY listed at the top of that file: case-insensitive userName and e-mail
// filters, paging past the end, Entra's string booleans.
import { randomUUID } from 'node:crypto';
import SCIMMY from 'scimmy';
import { type Directory, now, type ScimEmail, type StoredGroup, type StoredUser } from './directory.ts';

function scimError(status: number, scimType: string | null, detail: string): Error {
  return new SCIMMY.Types.Error(status, scimType as never, detail);
}

type ScimResourceLike = {
  id?: string;
  filter?: InstanceType<typeof SCIMMY.Types.Filter>;
  constraints?: { startIndex?: number; count?: number; totalResults?: number };
};

const USER_INSENSITIVE = new Set(['username', 'emails']);
// RFC 7643 §8.7.1: a group's displayName is caseExact=false too.
const GROUP_INSENSITIVE = new Set(['displayname']);

// Lowercases the expected values of caseExact=false attributes so SCIMMY's case-sensitive `eq`
// behaves as RFC 7643 asks for userName and emails (groups: displayName).
function foldFilter(expression: unknown, parentInsensitive = false, keys = USER_INSENSITIVE): unknown {
  if (Array.isArray(expression)) {
    if (expression.every((e) => Array.isArray(e) || (e && typeof e === 'object'))) {
      return expression.map((e) => foldFilter(e, parentInsensitive, keys));
    }
    if (!parentInsensitive) return expression;
    return expression.map((part, i) => (i > 0 && typeof part === 'string' ? part.toLowerCase() : part));
  }
  if (expression && typeof expression === 'object') {
    return Object.fromEntries(
      Object.entries(expression).map(([key, value]) => {
        const lower = key.toLowerCase();
        const insensitive = keys.has(lower) || (parentInsensitive && lower === 'value');
        return [key, foldFilter(value, insensitive, keys)];
      }),
    );
  }
  return expression;
}

// `members eq "<id>"` compares the `value` sub-attribute, as servers do (AWS IAM Identity Center
// documents this form); SCIMMY fails on a comparison of the complex attribute itself.
function impliedMemberValue(expression: unknown): unknown {
  if (Array.isArray(expression)) return expression.map(impliedMemberValue);
  if (!expression || typeof expression !== 'object') return expression;
  return Object.fromEntries(
    Object.entries(expression).map(([key, value]) =>
      key.toLowerCase() === 'members' && Array.isArray(value) && typeof value[0] === 'string'
        ? [key, { value }]
        : [key, impliedMemberValue(value)],
    ),
  );
}

function foldUser(user: Record<string, unknown>): Record<string, unknown> {
  const emails = Array.isArray(user.emails)
    ? user.emails.map((e: ScimEmail) => ({ ...e, value: e.value.toLowerCase() }))
    : [];
  return { ...user, userName: String(user.userName).toLowerCase(), emails };
}

function page<T>(resource: ScimResourceLike, matched: T[], maxResults: number): T[] {
  const requested = resource.constraints?.count;
  const count = Math.min(requested ?? maxResults, maxResults);
  const startIndex = resource.constraints?.startIndex ?? 1;
  const total = matched.length;
  resource.constraints = { ...resource.constraints, count, startIndex, totalResults: total };
  // SCIMMY's ListResponse slices by startIndex itself, except past the end, where it would return
  // the first page again: answer an empty page there.
  if (startIndex > total) return [];
  // SCIMMY turns every resource it is given into a User before slicing: with 100,000 users that is
  // seconds per page. Hand it little. Past the first `count` items the page alone does (it slices
  // only when it holds at least startIndex items); before, a prefix that holds the page, one item
  // longer when the prefix length would trip its "already sliced" test (total = length + start - 1).
  if (startIndex > count) return matched.slice(startIndex - 1, startIndex - 1 + count);
  let end = Math.min(total, startIndex - 1 + count);
  if (startIndex > 1 && total === end + startIndex - 1 && end < total) end += 1;
  return matched.slice(0, end);
}

function userOut(dir: Directory, user: StoredUser): Record<string, unknown> {
  return { ...user, groups: dir.groupsOf(user.id) };
}

let declared = false;
export function declareResources(): void {
  if (declared) return;
  declared = true;

  SCIMMY.Resources.declare(SCIMMY.Resources.User, {
    egress: (resource: ScimResourceLike, dir: Directory) => {
      if (resource.id) {
        const user = dir.users.get(resource.id);
        if (!user) throw scimError(404, null, `Resource ${resource.id} not found`);
        return userOut(dir, user);
      }
      let all = [...dir.users.values()];
      if (resource.filter) {
        const folded = new SCIMMY.Types.Filter(foldFilter([...resource.filter]) as never);
        all = all.filter((u) => {
          // SCIMMY's match throws on a complex attribute the user lacks (name.givenName on a user
          // without name): that user does not match.
          try {
            return folded.match([foldUser(userOut(dir, u))]).length > 0;
          } catch {
            return false;
          }
        });
      }
      return page(resource, all, dir.maxResults).map((u) => userOut(dir, u));
    },
    ingress: (resource: ScimResourceLike, instance: Record<string, unknown>, dir: Directory) => {
      const body = JSON.parse(JSON.stringify(instance)) as Record<string, unknown>;
      const userName = String(body.userName);
      const clash = dir.userByName(userName);
      if (clash && clash.id !== resource.id) {
        throw scimError(409, 'uniqueness', `userName ${JSON.stringify(userName)} is already taken`);
      }
      const previous = resource.id ? dir.users.get(resource.id) : undefined;
      if (resource.id && !previous) throw scimError(404, null, `Resource ${resource.id} not found`);
      const stamp = now();
      const user: StoredUser = {
        id: previous?.id ?? randomUUID(),
        userName,
        active: body.active === undefined ? (previous?.active ?? true) : body.active === true,
        ...(body.externalId !== undefined && { externalId: String(body.externalId) }),
        ...(body.displayName !== undefined && { displayName: String(body.displayName) }),
        ...(body.name !== undefined && { name: body.name as StoredUser['name'] }),
        ...(body.emails !== undefined && { emails: body.emails as ScimEmail[] }),
        meta: { created: previous?.meta.created ?? stamp, lastModified: stamp },
      };
      dir.users.set(user.id, user);
      return userOut(dir, user);
    },
    degress: (resource: ScimResourceLike, dir: Directory) => {
      if (!resource.id || !dir.users.delete(resource.id)) {
        throw scimError(404, null, `Resource ${resource.id} not found`);
      }
      for (const group of dir.groups.values()) {
        group.members = group.members.filter((m) => m.value !== resource.id);
      }
    },
  } as never);

  SCIMMY.Resources.declare(SCIMMY.Resources.Group, {
    egress: (resource: ScimResourceLike, dir: Directory) => {
      if (resource.id) {
        const group = dir.groups.get(resource.id);
        if (!group) throw scimError(404, null, `Resource ${resource.id} not found`);
        return group;
      }
      const all = [...dir.groups.values()];
      let matched = all;
      if (resource.filter) {
        const folded = new SCIMMY.Types.Filter(
          foldFilter(impliedMemberValue([...resource.filter]), false, GROUP_INSENSITIVE) as never,
        );
        matched = all.filter(
          (g) => folded.match([{ ...g, displayName: g.displayName.toLowerCase() }]).length > 0,
        );
      }
      return page(resource, matched, dir.maxResults);
    },
    ingress: (resource: ScimResourceLike, instance: Record<string, unknown>, dir: Directory) => {
      const body = JSON.parse(JSON.stringify(instance)) as Record<string, unknown>;
      const previous = resource.id ? dir.groups.get(resource.id) : undefined;
      if (resource.id && !previous) throw scimError(404, null, `Resource ${resource.id} not found`);
      // As SCIM servers do: a member must be a user of this application (RFC 7644 §3.5.2 invalidValue).
      for (const member of (body.members as StoredGroup['members'] | undefined) ?? []) {
        if (!dir.users.has(member.value)) {
          throw scimError(400, 'invalidValue', `member ${JSON.stringify(member.value)} is not a user here`);
        }
      }
      const stamp = now();
      const group: StoredGroup = {
        id: previous?.id ?? randomUUID(),
        displayName: String(body.displayName),
        members: ((body.members as StoredGroup['members'] | undefined) ?? []).map((m) => ({
          value: m.value,
          ...(m.display !== undefined && { display: m.display }),
        })),
        meta: { created: previous?.meta.created ?? stamp, lastModified: stamp },
      };
      dir.groups.set(group.id, group);
      return group;
    },
    degress: (resource: ScimResourceLike, dir: Directory) => {
      if (!resource.id || !dir.groups.delete(resource.id)) {
        throw scimError(404, null, `Resource ${resource.id} not found`);
      }
    },
  } as never);
}

// Entra sends `{"op":"Replace","path":"active","value":"False"}`; SCIMMY only takes booleans there.
export function acceptEntraBooleans(body: unknown): unknown {
  if (!body || typeof body !== 'object' || !Array.isArray((body as { Operations?: unknown }).Operations)) {
    return body;
  }
  const message = body as { Operations: Record<string, unknown>[] };
  const toBool = (v: unknown) =>
    typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v;
  return {
    ...message,
    Operations: message.Operations.map((op) => {
      if (typeof op.path === 'string' && op.path.toLowerCase() === 'active') {
        return { ...op, value: toBool(op.value) };
      }
      if (!op.path && op.value && typeof op.value === 'object' && 'active' in op.value) {
        const value = op.value as Record<string, unknown>;
        return { ...op, value: { ...value, active: toBool(value.active) } };
      }
      return op;
    }),
  };
}
