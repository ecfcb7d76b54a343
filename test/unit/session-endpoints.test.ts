// The endpoints docs/sessions.md documents for Entra ID and Google where a session target names none
// (baseUrl, tokenUrl): every other test points the revoker at a fake, so only this one reads them.
// No network: a fetch that records each URL, grants any token request and refuses the rest.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/model/config.ts';
import { sessionRevokerFor } from '../../lambdas/core/sessions/revoker.ts';
import { InMemorySecretSource } from '../support/fakes.ts';

function urlsCalledBy(fields: Record<string, unknown>, secret: string): Promise<string[]> {
  const target = parseConfig({
    sources: [{ id: 'hr', kind: 'generic' }],
    targets: [{ id: 'idp', displayName: 'IdP', owner: 'it@example.com', kind: 'session', ...fields }],
  }).targets[0];
  if (target?.kind !== 'session') throw new Error('unreachable');
  const urls: string[] = [];
  const fetch = async (input: string | URL | Request) => {
    const url = input instanceof Request ? input.url : String(input);
    urls.push(url.split('?')[0] ?? url);
    if (!url.endsWith('/token')) throw new TypeError('fetch failed');
    return Response.json({ access_token: 'at', token_type: 'Bearer', expires_in: 3600 });
  };
  const revoker = sessionRevokerFor(target, {
    secretId: 'idp',
    secrets: new InMemorySecretSource({ idp: secret }),
    throttleWaitMaxMs: 0,
    fetch,
  });
  const request = { match: { attribute: 'email' as const, value: 'jane@example.com' } };
  return revoker
    .revoke({ ...request, action: 'revoke-sessions' })
    .catch(() => undefined)
    .then(() => urls);
}

describe('Session targets: default endpoints', () => {
  it("Entra ID: the tenant's token endpoint, then Microsoft Graph v1.0", async () => {
    expect(await urlsCalledBy({ provider: 'entra', tenantId: 'contoso', clientId: 'app-1' }, 'cs')).toEqual([
      'https://login.microsoftonline.com/contoso/oauth2/v2.0/token',
      'https://graph.microsoft.com/v1.0/users/jane%40example.com',
    ]);
  });

  it("Google: Google's OAuth token endpoint, then the Admin SDK Directory API", async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = JSON.stringify({
      client_email: 'scimitar@project.iam.gserviceaccount.com',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    expect(await urlsCalledBy({ provider: 'google', adminEmail: 'admin@example.com' }, keyFile)).toEqual([
      'https://oauth2.googleapis.com/token',
      'https://admin.googleapis.com/admin/directory/v1/users/jane%40example.com',
    ]);
  });
});
