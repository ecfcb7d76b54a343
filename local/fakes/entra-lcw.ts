// A fake Microsoft identity platform and Graph for Entra ID Lifecycle Workflows, on loopback: the
// tenant's JWKS (/<tenant>/discovery/v2.0/keys), the token endpoint for the client credentials
// grant (/<tenant>/oauth2/v2.0/token), and Graph's taskProcessingResult resume
// (POST /v1.0/identityGovernance/.../microsoft.graph.identityGovernance.resume, 204). It also
// mints the access token a Logic App's managed identity would present to scimitar.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { LCW_RESUME_PATH } from '../../lambdas/core/model/event.ts';

export interface ResumeCall {
  readonly path: string;
  readonly body: unknown;
}

export interface FakeEntraOptions {
  readonly tenantId: string;
  /** The app allowed to call Graph (client credentials): id and secret. */
  readonly client: { clientId: string; clientSecret: string };
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class FakeEntra {
  readonly resumes: ResumeCall[] = [];
  /** Answer every resume with this status (a Graph outage). @default 204 */
  resumeStatus = 204;
  private server?: Server;
  private keys?: {
    privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
    publicJwk: JWK;
    kid: string;
  };
  private readonly graphTokens = new Set<string>();

  constructor(readonly options: FakeEntraOptions) {}

  /** The authority to configure on the source (`authority` and `graphBaseUrl`). */
  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('FakeEntra is not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = randomUUID();
    this.keys = {
      privateKey,
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
      kid,
    };
    this.server = createServer((req, res) => {
      this.route(req)
        .then(([status, body]) => {
          res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
          res.end(body === undefined ? undefined : JSON.stringify(body));
        })
        .catch(() => {
          res.writeHead(500);
          res.end();
        });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** An access token as Entra issues it to a managed identity (v1: iss sts-style, appid). */
  async mintToken(claims: {
    /** Issue as another authority (a forger posing as the tenant). @default this fake's url */
    issuerBase?: string;
    audience: string;
    appid: string;
    tenantId?: string;
    expiresInSeconds?: number;
    now?: Date;
  }) {
    if (!this.keys) throw new Error('FakeEntra is not started');
    const tenant = claims.tenantId ?? this.options.tenantId;
    const now = Math.floor((claims.now ?? new Date()).getTime() / 1000);
    return new SignJWT({ appid: claims.appid, tid: tenant, ver: '1.0' })
      .setProtectedHeader({ alg: 'RS256', kid: this.keys.kid, typ: 'JWT' })
      .setIssuer(`${claims.issuerBase ?? this.url}/${tenant}/`)
      .setAudience(claims.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + (claims.expiresInSeconds ?? 3600))
      .sign(this.keys.privateKey);
  }

  private async route(req: IncomingMessage): Promise<[number, unknown?]> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const tenant = this.options.tenantId;
    if (req.method === 'GET' && url.pathname === `/${tenant}/discovery/v2.0/keys`) {
      return [200, { keys: [this.keys?.publicJwk] }];
    }
    if (req.method === 'POST' && url.pathname === `/${tenant}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(await readText(req));
      const { clientId, clientSecret } = this.options.client;
      if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== clientId) {
        return [400, { error: 'unauthorized_client' }];
      }
      if (form.get('client_secret') !== clientSecret) return [401, { error: 'invalid_client' }];
      const token = randomUUID();
      this.graphTokens.add(token);
      return [200, { token_type: 'Bearer', expires_in: 3599, access_token: token }];
    }
    const graphPath = url.pathname.replace(/^\/v1\.0/, '');
    if (req.method === 'POST' && url.pathname.startsWith('/v1.0/') && LCW_RESUME_PATH.test(graphPath)) {
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (!auth || !this.graphTokens.has(auth[1] as string)) {
        return [
          401,
          { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty or invalid.' } },
        ];
      }
      const body = JSON.parse((await readText(req)) || 'null') as unknown;
      if (this.resumeStatus !== 204) return [this.resumeStatus, { error: { code: 'ServiceUnavailable' } }];
      this.resumes.push({ path: graphPath, body });
      return [204];
    }
    return [404, { error: { code: 'NotFound' } }];
  }
}

/** A Lifecycle Workflows callout as the Logic App forwards it (customTaskExtensionCalloutData). */
export function lcwCallout(user: {
  id: string;
  employeeId?: string;
  userPrincipalName: string;
  mail?: string;
  displayName?: string;
}) {
  const workflowId = randomUUID();
  const taskId = randomUUID();
  const resultId = randomUUID();
  return {
    source: 'sample',
    type: 'lifecycleEvent',
    data: {
      '@odata.type': 'microsoft.graph.identityGovernance.customTaskExtensionCalloutData',
      subject: {
        id: user.id,
        displayName: user.displayName ?? user.userPrincipalName,
        mail: user.mail ?? user.userPrincipalName,
        employeeId: user.employeeId ?? null,
        userPrincipalName: user.userPrincipalName,
      },
      task: { id: taskId, displayName: 'Revoke SaaS access (scimitar)' },
      taskProcessingResult: { id: resultId, createdDateTime: new Date().toISOString() },
      workflow: { id: workflowId, displayName: 'Leaver', workflowVersion: 1 },
      callbackUriPath: `/identityGovernance/lifecycleWorkflows/workflows/${workflowId}/tasks/${taskId}/taskProcessingResults/${resultId}/microsoft.graph.identityGovernance.resume`,
    },
  };
}
