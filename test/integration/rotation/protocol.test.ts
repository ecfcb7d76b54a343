// The four steps in the core's own terms (current, pending, promote) over an in-memory SecretStore:
// no SDK and no staging labels, which are the Secrets Manager adapter's (rotation.test.ts runs them).
import { describe, expect, it } from 'vitest';
import { RotationProtocolError, rotateSecret } from '../../../lambdas/core/credentials/rotation.ts';
import {
  type SecretDescription,
  SecretStore,
  type SecretVersionValue,
  type VersionRole,
} from '../../../lambdas/core/credentials/secret-store.ts';
import { parseConfig } from '../../../lambdas/core/model/config.ts';

const SECRET = 'Scimitar/targets/crm';
const CURRENT = JSON.stringify({ clientSecret: 'cs_current_value' });

/** Versions with roles; promote does what the port promises, in one place. */
class MemoryStore extends SecretStore {
  readonly versions = new Map<string, { value?: string; roles: Set<VersionRole> }>([
    ['v1', { value: CURRENT, roles: new Set(['current']) }],
  ]);
  async describe(): Promise<SecretDescription> {
    const versions = Object.fromEntries([...this.versions].map(([id, v]) => [id, [...v.roles]]));
    return { arn: SECRET, name: SECRET, rotationEnabled: true, versions, tags: {} };
  }
  async current(): Promise<SecretVersionValue | undefined> {
    return this.holding('current');
  }
  async pending(_secretId: string, versionId: string): Promise<SecretVersionValue | undefined> {
    const found = this.holding('pending');
    return found?.versionId === versionId ? found : undefined;
  }
  async putPending(_secretId: string, versionId: string, value: string): Promise<void> {
    this.versions.set(versionId, { value, roles: new Set(['pending']) });
  }
  async promote(_secretId: string, versionId: string, currentVersionId: string | undefined): Promise<void> {
    for (const v of this.versions.values()) v.roles.delete('previous');
    const old = currentVersionId === undefined ? undefined : this.versions.get(currentVersionId);
    old?.roles.delete('current');
    old?.roles.add('previous');
    const next = this.versions.get(versionId);
    next?.roles.delete('pending');
    next?.roles.add('current');
  }
  /** What RotateSecret does first: an empty version in the pending role. */
  startRotation(versionId: string): void {
    this.versions.set(versionId, { roles: new Set(['pending']) });
  }
  private holding(role: VersionRole): SecretVersionValue | undefined {
    for (const [versionId, v] of this.versions) {
      if (v.roles.has(role) && v.value !== undefined) return { versionId, value: v.value };
    }
    return undefined;
  }
}

const config = parseConfig({
  sources: [{ id: 'hr', kind: 'generic' }],
  targets: [
    {
      id: 'crm',
      kind: 'scim',
      displayName: 'CRM',
      owner: 'owner@example.com',
      baseUrl: 'https://crm.example/scim/v2',
      auth: {
        type: 'oauth2-client-credentials',
        tokenUrl: 'https://crm.example/token',
        clientId: 'scimitar',
      },
      rotation: { strategy: 'oauth2' },
    },
  ],
});

describe('Rotation protocol over the SecretStore port', () => {
  it('stores the pending credential once, promotes it, and then treats every step as done', async () => {
    const store = new MemoryStore();
    store.startRotation('v2');
    const step = (s: 'createSecret' | 'finishSecret') =>
      rotateSecret({ secretId: SECRET, token: 'v2', step: s }, { store, config });

    expect((await step('createSecret')).action).toBe('created');
    expect((await step('createSecret')).action).toBe('already-created');
    expect(await store.pending(SECRET, 'v2')).toEqual({ versionId: 'v2', value: CURRENT });

    expect((await step('finishSecret')).action).toBe('promoted');
    expect(Object.fromEntries([...store.versions].map(([id, v]) => [id, [...v.roles]]))).toEqual({
      v1: ['previous'],
      v2: ['current'],
    });
    expect((await step('createSecret')).action).toBe('already-current');
  });

  it('refuses a version that is not pending, naming the role as the store calls it', async () => {
    const store = new MemoryStore();
    store.versions.set('v0', { value: 'old', roles: new Set() });
    await expect(
      rotateSecret({ secretId: SECRET, token: 'v0', step: 'createSecret' }, { store, config }),
    ).rejects.toThrow(
      new RotationProtocolError(
        `secret "${SECRET}": version v0 is not labelled pending, so it is not being rotated in`,
      ),
    );
  });
});
