// Session revocation end to end on the local runtime: one leaver's sessions end at every identity
// provider (the demo's Okta org the runtime starts, and Entra ID, Google Workspace and a signed
// hook this test starts), each through its own lane, verified where the provider allows it, and
// audited; nobody else is signed out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/model/config.ts';
import { type FakeEntra, startFakeEntra } from '../../local/fakes/entra.ts';
import { type FakeGoogle, startFakeGoogle } from '../../local/fakes/google.ts';
import { type FakeSessionHook, startFakeSessionHook } from '../../local/fakes/session-hook.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import { envNameFor } from '../../local/secrets.ts';
import sample from '../../scimitar.config.ts';
import { endedExecution, steps } from '../support/events.ts';
import { postSigned, startTestRuntime, terminationOf } from '../support/local-runtime.ts';

const ENTRA_SECRET = 'e2e-entra-client-secret';
const HOOK_KEY = 'e2e-hook-key';

let runtime: LocalRuntime & { lines: string[] };
let entra: FakeEntra;
let google: FakeGoogle;
let hook: FakeSessionHook;
const env: string[] = [];

beforeAll(async () => {
  const { demoPeople } = await import('../../local/demo-people.ts');
  const people = demoPeople();
  [entra, google, hook] = await Promise.all([
    startFakeEntra({
      tenantId: 'demo-tenant',
      clientId: 'scimitar-app',
      clientSecret: ENTRA_SECRET,
      users: people.map((p) => ({
        id: `e-${p.employeeId}`,
        userPrincipalName: p.emails[0] ?? '',
        mail: p.emails[0],
      })),
    }),
    startFakeGoogle({
      clientEmail: 'scimitar@demo.iam.gserviceaccount.com',
      adminEmail: 'admin@example.com',
      users: people.map((p) => ({ id: `g-${p.employeeId}`, primaryEmail: p.emails[0] ?? '' })),
    }),
    startFakeSessionHook({ key: HOOK_KEY }),
  ]);
  const session = { kind: 'session', owner: 'identity-team@example.com', matchAttribute: 'email' } as const;
  const config = parseConfig({
    ...sample,
    targets: [
      ...sample.targets,
      {
        ...session,
        id: 'entra',
        displayName: 'Entra ID sessions',
        provider: 'entra',
        tenantId: 'demo-tenant',
        clientId: 'scimitar-app',
        baseUrl: entra.graphUrl,
        tokenUrl: entra.tokenUrl,
      },
      {
        ...session,
        id: 'workspace',
        displayName: 'Google Workspace sessions',
        provider: 'google',
        adminEmail: 'admin@example.com',
        baseUrl: google.url,
        tokenUrl: google.tokenUrl,
      },
      { ...session, id: 'vpn', displayName: 'VPN sessions (hook)', provider: 'hook', baseUrl: hook.url },
    ],
  });
  // The credentials as an operator would put them: the local runtime reads SCIMITAR_SECRET_<name>.
  for (const [id, value] of [
    ['entra', ENTRA_SECRET],
    ['workspace', google.keyFile],
    ['vpn', HOOK_KEY],
  ] as const) {
    const name = envNameFor(`${config.stackName}/targets/${id}`);
    process.env[name] = value;
    env.push(name);
  }
  runtime = await startTestRuntime({ config, people });
}, 120_000);
afterAll(async () => {
  for (const name of env) delete process.env[name];
  await runtime?.stop();
  await Promise.all([entra?.close(), google?.close(), hook?.close()]);
});

describe('session revocation end to end', () => {
  it("ends a leaver's sessions at Okta, Entra ID, Google Workspace and the hook, verified and audited, and no one else's", async () => {
    const [ada, grace] = runtime.people;
    if (!ada || !grace) throw new Error('no demo people');
    const okta = runtime.sessionApps.get('sso');
    if (!okta) throw new Error('the demo starts a fake Okta for target sso');
    const email = ada.emails[0] ?? '';

    const body = terminationOf(ada);
    expect((await postSigned(runtime, body)).status).toBe(202);
    const { eventId } = JSON.parse(body) as { eventId: string };
    const done = await endedExecution(runtime, eventId);
    expect(done.status).toBe('SUCCEEDED');

    // Each provider ended exactly this person's sessions.
    expect(okta.cleared).toEqual([{ userId: `00u${ada.employeeId}`, oauthTokens: true }]);
    expect(okta.withSessions.has(`00u${grace.employeeId}`)).toBe(true);
    expect(entra.revoked).toEqual([`e-${ada.employeeId}`]);
    expect(google.signedOut).toEqual([`g-${ada.employeeId}`]);
    expect(hook.revoked).toEqual([email]);

    const audit = await runtime.audit.forEvent(eventId);
    const timeline = steps(audit);
    for (const target of ['sso', 'entra', 'workspace', 'vpn']) {
      expect(timeline, target).toEqual(
        expect.arrayContaining([
          `FOUND:${target}`,
          `WRITE_SENT:${target}`,
          `SESSIONS_REVOKED:${target}`,
          `VERIFIED:${target}`,
        ]),
      );
    }
    const verified = (target: string) =>
      audit.find((e) => e.step === 'VERIFIED' && e.targetId === target)?.detail;
    // Entra's is read back; the others have no public read of a user's sessions.
    expect(verified('entra')).toMatchObject({ verified: { sessionsRevoked: true, checkedBy: 'read-back' } });
    for (const target of ['sso', 'workspace', 'vpn'])
      expect(verified(target)).toMatchObject({ verified: { sessionsRevoked: true, checkedBy: 'answer' } });
    expect(timeline).toContain('COMPLETED');

    // The ledger holds each session target's outcome beside the applications'.
    const ledger = await runtime.ledger.forPerson(ada.employeeId);
    for (const target of ['sso', 'entra', 'workspace', 'vpn'])
      expect(ledger.find((r) => r.targetId === target)?.outcome, target).toBe('revoked');
  });
});
