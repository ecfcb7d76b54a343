// A fake Google Workspace: the OAuth 2.0 token endpoint for service accounts (grant type
// jwt-bearer: the assertion's RS256 signature checked against the account's public key, with its
// iss, sub, aud, scope and lifetime) and the Admin SDK Directory API calls a session target makes:
// users.get and users.signOut (empty 204), with Google's error body and its rate-limit answer
// (https://developers.google.com/identity/protocols/oauth2/service-account#httprest,
// https://developers.google.com/workspace/admin/directory/reference/rest/v1/users/signOut).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { importSPKI, jwtVerify } from 'jose';
import { type FakeAnswer, type FakeServer, serveFake, Throttle } from './session-hook.ts';

export interface FakeGoogleUser {
  readonly id: string;
  readonly primaryEmail: string;
  readonly aliases?: readonly string[];
}

export interface FakeGoogle extends FakeServer {
  readonly tokenUrl: string;
  /** The service account key file to store in the target's secret. */
  readonly keyFile: string;
  readonly signedOut: string[];
  /** Why assertions were refused. */
  readonly refusedAssertions: string[];
  readonly throttle: Throttle;
  /**
   * Tests only: a lookup of a key listed here (as asked, any case) answers the user with the given
   * id, as a directory that resolved the key loosely would; scimitar must refuse the inexact match.
   */
  readonly inexact: Map<string, string>;
}

const SECURITY_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.security';
/** users.get needs one of these (https://developers.google.com/workspace/admin/directory/reference/rest/v1/users/get). */
const READ_SCOPES = [
  'https://www.googleapis.com/auth/admin.directory.user.readonly',
  'https://www.googleapis.com/auth/admin.directory.user',
];

const googleError = (code: number, message: string, reason: string): FakeAnswer => ({
  status: code,
  json: { error: { code, message, errors: [{ message, domain: 'global', reason }] } },
});

export async function startFakeGoogle(options: {
  clientEmail: string;
  /** The admin domain-wide delegation lets the account act as. */
  adminEmail: string;
  users: readonly FakeGoogleUser[];
}): Promise<FakeGoogle> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const verifyKey = await importSPKI(publicKey.export({ type: 'spki', format: 'pem' }).toString(), 'RS256');
  /** Each access token issued, with the scopes its assertion asked for. */
  const tokens = new Map<string, string[]>();
  const signedOut: string[] = [];
  const refusedAssertions: string[] = [];
  const throttle = new Throttle();
  const inexact = new Map<string, string>();
  let tokenUrl = '';
  const server = await serveFake(async (req) => {
    if (req.method === 'POST' && req.url.pathname === '/token') {
      const form = new URLSearchParams(req.body);
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
        return { status: 400, json: { error: 'unsupported_grant_type' } };
      let scopes: string[];
      try {
        const { payload } = await jwtVerify(form.get('assertion') ?? '', verifyKey, {
          issuer: options.clientEmail,
          audience: tokenUrl,
          subject: options.adminEmail,
          maxTokenAge: '1h',
        });
        scopes = String(payload.scope ?? '').split(' ');
        if (!scopes.includes(SECURITY_SCOPE)) throw new Error('scope lacks admin.directory.user.security');
      } catch (err) {
        refusedAssertions.push((err as Error).message);
        return { status: 400, json: { error: 'invalid_grant', error_description: 'Invalid JWT' } };
      }
      const token = randomUUID();
      tokens.set(token, scopes);
      return { status: 200, json: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const granted = bearer === undefined ? undefined : tokens.get(bearer);
    if (!granted) return googleError(401, 'Login Required.', 'required');
    const limited = throttle.take();
    // Google's documented quota answer is a 403 with reason userRateLimitExceeded.
    if (limited)
      return { ...googleError(403, 'User Rate Limit Exceeded', 'userRateLimitExceeded'), headers: limited };
    const parts = req.url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (parts.slice(0, 4).join('/') !== 'admin/directory/v1/users')
      return googleError(404, 'Not Found', 'notFound');
    if (req.method === 'GET' && !READ_SCOPES.some((scope) => granted.includes(scope)))
      return googleError(403, 'Request had insufficient authentication scopes.', 'insufficientPermissions');
    const key = (parts[4] ?? '').toLowerCase();
    const user = options.users.find(
      (u) =>
        u.id === parts[4] ||
        u.primaryEmail.toLowerCase() === key ||
        u.aliases?.some((a) => a.toLowerCase() === key) ||
        u.id === inexact.get(key),
    );
    if (!user) return googleError(404, 'Resource Not Found: userKey', 'notFound');
    if (req.method === 'GET' && parts.length === 5)
      return { status: 200, json: { kind: 'admin#directory#user', ...user, suspended: false } };
    if (req.method === 'POST' && parts.length === 6 && parts[5] === 'signOut') {
      if (req.body !== '') return googleError(400, 'The request body must be empty', 'invalid');
      signedOut.push(user.id);
      return { status: 204 };
    }
    return googleError(405, 'Method Not Allowed', 'invalid');
  });
  tokenUrl = `${server.url}/token`;
  const keyFile = JSON.stringify({
    type: 'service_account',
    client_email: options.clientEmail,
    private_key_id: 'fake-key',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    token_uri: tokenUrl,
  });
  return { ...server, tokenUrl, keyFile, signedOut, refusedAssertions, throttle, inexact };
}
