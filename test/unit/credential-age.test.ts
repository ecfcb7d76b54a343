import { describe, expect, it } from 'vitest';
import {
  measureCredentialAges,
  measureSourceKeyAges,
  warnAtDays,
} from '../../lambdas/core/credentials/credential-age.ts';
import {
  type SecretDescription,
  SecretStore,
  type SecretVersionValue,
} from '../../lambdas/core/credentials/secret-store.ts';
import { parseConfig } from '../../lambdas/core/model/config.ts';
import { FixedClock } from '../support/recorders.ts';

/** Secrets by name: a value with an optional version date, and the secret's last change. */
class StaticStore extends SecretStore {
  // Named as Secrets Manager names them, as operators read them in the messages.
  override readonly roleNames = { current: 'AWSCURRENT', pending: 'AWSPENDING', previous: 'AWSPREVIOUS' };
  constructor(private readonly secrets: Record<string, { created?: string; changed?: string }>) {
    super();
  }
  async describe(secretId: string): Promise<SecretDescription> {
    const changed = this.secrets[secretId]?.changed;
    return {
      arn: secretId,
      name: secretId,
      rotationEnabled: false,
      versions: { v1: ['current'] },
      tags: {},
      ...(changed ? { lastChangedDate: new Date(changed) } : {}),
    };
  }
  async current(secretId: string): Promise<SecretVersionValue | undefined> {
    const secret = this.secrets[secretId];
    if (!secret) return undefined;
    return {
      versionId: 'v1',
      value: 'tok_static_value',
      ...(secret.created ? { createdDate: new Date(secret.created) } : {}),
    };
  }
  async pending(_secretId: string, _versionId: string): Promise<SecretVersionValue | undefined> {
    throw new Error('no pending version');
  }
  async putPending(): Promise<void> {
    throw new Error('read-only');
  }
  async promote(): Promise<void> {
    throw new Error('read-only');
  }
}

const config = parseConfig({
  sources: [{ id: 'hr', kind: 'generic' }],
  targets: [
    ['aa', { strategy: 'manual', maxAgeDays: 90, warnDaysBefore: 14 }],
    ['bb', { strategy: 'manual', maxAgeDays: 30, warnDaysBefore: 7 }],
    ['cc', { strategy: 'oauth2' }],
  ].map(([id, rotation]) => ({
    id,
    kind: 'scim',
    displayName: id,
    owner: 'o@example.com',
    baseUrl: 'https://app.example/scim/v2',
    rotation,
  })),
});
const clock = new FixedClock(new Date('2026-03-01T00:00:00Z'));

describe('Credential age of manual targets', () => {
  it('counts from the AWSCURRENT version and is due at maxAgeDays - warnDaysBefore', async () => {
    const store = new StaticStore({
      'Scimitar/targets/aa': { created: '2025-12-15T00:00:00Z' }, // 76 days: due
      'Scimitar/targets/bb': { created: '2026-02-07T12:00:00Z' }, // 21.5 days: not yet (23)
    });
    const { ages, failures } = await measureCredentialAges(config, { store, clock });
    expect(failures).toEqual([]);
    expect(ages).toEqual([
      {
        targetId: 'aa',
        ageDays: 76,
        maxAgeDays: 90,
        warnAtDays: 76,
        due: true,
        since: '2025-12-15T00:00:00.000Z',
        basis: 'version-created',
      },
      {
        targetId: 'bb',
        ageDays: 21.5,
        maxAgeDays: 30,
        warnAtDays: 23,
        due: false,
        since: '2026-02-07T12:00:00.000Z',
        basis: 'version-created',
      },
    ]);
  });

  it("falls back to the secret's last change when the version has no date", async () => {
    const store = new StaticStore({
      'Scimitar/targets/aa': { changed: '2026-02-01T00:00:00Z' },
      'Scimitar/targets/bb': { created: '2026-02-28T00:00:00Z' },
    });
    const { ages } = await measureCredentialAges(config, { store, clock });
    expect(ages[0]).toMatchObject({ targetId: 'aa', ageDays: 28, basis: 'last-changed', due: false });
  });

  it('fails one target without a secret and still measures the others', async () => {
    const store = new StaticStore({ 'Scimitar/targets/bb': { created: '2026-02-28T00:00:00Z' } });
    const { ages, failures } = await measureCredentialAges(config, { store, clock });
    expect(ages.map((a) => a.targetId)).toEqual(['bb']);
    expect(failures).toEqual([
      { targetId: 'aa', reason: 'secret "Scimitar/targets/aa" of target "aa" has no AWSCURRENT value' },
    ]);
  });

  it('never sets the alarm threshold below zero', () => {
    expect(warnAtDays({ maxAgeDays: 10, warnDaysBefore: 14 })).toBe(0);
    expect(warnAtDays({ maxAgeDays: 90, warnDaysBefore: 14 })).toBe(76);
  });
});

/** Only describes secrets it holds, and records every value read: the source key check must not read one. */
class DescribeOnlyStore extends StaticStore {
  readonly valueReads: string[] = [];
  constructor(private readonly changed: Record<string, string | undefined>) {
    super({});
  }
  override async describe(secretId: string): Promise<SecretDescription> {
    if (!(secretId in this.changed)) throw new Error(`ResourceNotFoundException: ${secretId}`);
    const changed = this.changed[secretId];
    return {
      ...(await super.describe(secretId)),
      ...(changed ? { lastChangedDate: new Date(changed) } : {}),
    };
  }
  override async current(secretId: string): Promise<SecretVersionValue | undefined> {
    this.valueReads.push(secretId);
    return super.current(secretId);
  }
  override async pending(secretId: string, versionId: string): Promise<SecretVersionValue | undefined> {
    this.valueReads.push(secretId);
    return super.pending(secretId, versionId);
  }
}

describe('Signing key age of HRIS sources', () => {
  const sources = parseConfig({
    sources: [
      { id: 'hr', kind: 'generic' },
      {
        id: 'bamboo',
        kind: 'bamboohr',
        secretName: 'hr/bamboo-key',
        keyAge: { maxAgeDays: 90, warnDaysBefore: 10 },
      },
    ],
    targets: [
      {
        id: 'pay',
        kind: 'manual',
        displayName: 'Pay',
        owner: 'o@example.com',
        coverage: { status: 'manual-runbook', compensatingControl: 'HR closes it', reviewCadenceDays: 30 },
      },
    ],
  });

  it('counts from the last change of each secret, due at maxAgeDays - warnDaysBefore (default 365 - 30), reading no key', async () => {
    const store = new DescribeOnlyStore({
      'Scimitar/sources/hr': '2025-03-01T00:00:00Z', // 365 days: due at 335
      'hr/bamboo-key': '2026-01-01T00:00:00Z', // 59 days: not yet (80)
    });
    const { ages, failures } = await measureSourceKeyAges(sources, { store, clock });
    expect(failures).toEqual([]);
    expect(ages).toEqual([
      {
        sourceId: 'hr',
        ageDays: 365,
        maxAgeDays: 365,
        warnAtDays: 335,
        due: true,
        since: '2025-03-01T00:00:00.000Z',
      },
      {
        sourceId: 'bamboo',
        ageDays: 59,
        maxAgeDays: 90,
        warnAtDays: 80,
        due: false,
        since: '2026-01-01T00:00:00.000Z',
      },
    ]);
    expect(store.valueReads).toEqual([]);
  });

  it('fails a source whose secret is missing or has no date, and still measures the others', async () => {
    const store = new DescribeOnlyStore({ 'hr/bamboo-key': undefined });
    const { ages, failures } = await measureSourceKeyAges(sources, { store, clock });
    expect(ages).toEqual([]);
    expect(failures).toEqual([
      { sourceId: 'hr', reason: 'Error' },
      { sourceId: 'bamboo', reason: 'secret "hr/bamboo-key" of source "bamboo" has no change date' },
    ]);
  });

  it('refuses a keyAge out of range, naming the source and the field', () => {
    expect(() =>
      parseConfig({ ...sources, sources: [{ id: 'hr', kind: 'generic', keyAge: { maxAgeDays: 0 } }] }),
    ).toThrow(/sources\[0\].*keyAge\.maxAgeDays/s);
  });
});
