// The in-memory state of one demo SCIM application (local/scim-app.ts): users indexed by id and
// by lowercased userName, and groups.

export interface ScimEmail {
  value: string;
  type?: string;
  primary?: boolean;
}

/** A user as the application stores it. */
export interface StoredUser {
  id: string;
  userName: string;
  active: boolean;
  externalId?: string;
  displayName?: string;
  name?: { givenName?: string; familyName?: string; formatted?: string };
  emails?: ScimEmail[];
  meta: { created: string; lastModified: string };
}

export interface StoredGroup {
  id: string;
  displayName: string;
  members: { value: string; display?: string }[];
  meta: { created: string; lastModified: string };
}

export interface SeedUser {
  userName: string;
  /** @default true */
  active?: boolean;
  externalId?: string;
  displayName?: string;
  emails?: ScimEmail[];
}

export interface SeedGroup {
  displayName: string;
  /** userNames of the members (seeded in the same call or earlier). */
  members?: string[];
}

/** Users by id, indexed by lowercased userName too: seeding 100,000 users must not be quadratic. */
export class UserMap extends Map<string, StoredUser> {
  private readonly byName = new Map<string, string>();

  override set(id: string, user: StoredUser): this {
    const previous = super.get(id);
    if (previous) this.byName.delete(previous.userName.toLowerCase());
    // Map's constructor calls set before fields exist; this app never passes entries to it.
    this.byName?.set(user.userName.toLowerCase(), id);
    return super.set(id, user);
  }

  override delete(id: string): boolean {
    const previous = super.get(id);
    if (previous) this.byName.delete(previous.userName.toLowerCase());
    return super.delete(id);
  }

  override clear(): void {
    this.byName.clear();
    super.clear();
  }

  byUserName(lowercased: string): StoredUser | undefined {
    // Stored users are replaced on every change, never renamed in place, so the index stays true.
    const id = this.byName.get(lowercased);
    return id === undefined ? undefined : super.get(id);
  }
}

/** The in-memory state of one application; SCIMMY's handlers are global, so each request names its store. */
export class Directory {
  readonly users = new UserMap();
  readonly groups = new Map<string, StoredGroup>();

  constructor(readonly maxResults: number) {}

  userByName(userName: string): StoredUser | undefined {
    return this.users.byUserName(userName.toLowerCase());
  }

  groupsOf(userId: string): { value: string; display: string; type: string }[] {
    return [...this.groups.values()]
      .filter((g) => g.members.some((m) => m.value === userId))
      .map((g) => ({ value: g.id, display: g.displayName, type: 'direct' }));
  }
}

export function now(): string {
  return new Date().toISOString();
}
