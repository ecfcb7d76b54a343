// Entra ID Lifecycle Workflows: the access token checked against the tenant's keys (a fake identity
// platform on loopback), the callout read as a termination, and the task resumed through Graph.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseEntraLcwPayload } from '../../../lambdas/core/ingest/entra-lcw.ts';
import { verifyEntraToken } from '../../../lambdas/core/ingest/entra-token.ts';
import { SignatureError } from '../../../lambdas/core/ingest/errors.ts';
import { LifecycleWorkflowResumer } from '../../../lambdas/core/ingest/lcw-resume.ts';
import { parseConfig, type SourceConfig } from '../../../lambdas/core/model/config.ts';
import { ValidationError } from '../../../lambdas/core/model/errors.ts';
import type { Summary } from '../../../lambdas/core/model/messages.ts';
import { type Notification, Notifier } from '../../../lambdas/core/model/ports.ts';
import { FakeEntra, lcwCallout } from '../../../local/fakes/entra-lcw.ts';
import { InMemoryAuditLog, InMemorySecretSource } from '../../support/fakes.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const LOGIC_APP = '3c9d6f0e-5b1a-4e2f-8c7d-9a0b1c2d3e4f';
const AUDIENCE = 'api://scimitar';
const GRAPH_APP = { clientId: 'b5a1c2d3-0000-4000-8000-000000000001', clientSecret: 'graph-app-secret-e91' };

const entra = new FakeEntra({ tenantId: TENANT, client: GRAPH_APP });
let source: Extract<SourceConfig, { kind: 'entra-lcw' }>;

beforeAll(async () => {
  await entra.start();
  const config = parseConfig({
    stackName: 'scimitar',
    sources: [
      {
        id: 'entra',
        kind: 'entra-lcw',
        tenantId: TENANT,
        audience: AUDIENCE,
        allowedCallers: [LOGIC_APP],
        authority: entra.url,
        graphBaseUrl: entra.url,
      },
    ],
    targets: [
      {
        id: 'wiki',
        kind: 'scim',
        displayName: 'Wiki',
        owner: 'it@example.com',
        baseUrl: 'https://wiki.example.com/scim/v2',
        auth: { type: 'bearer' },
      },
    ],
  });
  source = config.sources[0] as typeof source;
});
afterAll(() => entra.stop());

const verify = async (authorization: string | undefined, now = new Date()) =>
  verifyEntraToken('{}', authorization ? { authorization } : {}, '', { now, source });

async function refused(work: Promise<unknown>): Promise<SignatureError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SignatureError);
  return err as SignatureError;
}

describe('Entra access token on a Lifecycle Workflows call', () => {
  it("accepts a token from the tenant's keys for scimitar's audience from an allowed caller", async () => {
    const token = await entra.mintToken({ audience: AUDIENCE, appid: LOGIC_APP });
    await expect(verify(`Bearer ${token}`)).resolves.toHaveProperty('signedAt');
  });

  it('refuses another audience, another caller, another tenant, an expired token, and no token', async () => {
    expect(
      (
        await refused(
          verify(`Bearer ${await entra.mintToken({ audience: 'api://other', appid: LOGIC_APP })}`),
        )
      ).reason,
    ).toBe('mismatch');
    const stranger = await refused(
      verify(
        `Bearer ${await entra.mintToken({ audience: AUDIENCE, appid: '00000000-0000-4000-8000-00000000dead' })}`,
      ),
    );
    expect(stranger.message).toMatch(/allowedCallers/);
    const otherTenant = await entra.mintToken({
      audience: AUDIENCE,
      appid: LOGIC_APP,
      tenantId: '11111111-2222-4333-8444-555555555555',
    });
    expect((await refused(verify(`Bearer ${otherTenant}`))).reason).toBe('mismatch');
    const old = await entra.mintToken({
      audience: AUDIENCE,
      appid: LOGIC_APP,
      now: new Date(Date.now() - 7200_000),
    });
    expect((await refused(verify(`Bearer ${old}`))).reason).toBe('stale');
    expect((await refused(verify(undefined))).reason).toBe('missing');
    expect((await refused(verify('Bearer not.a.jwt'))).reason).toBe('malformed');
  });

  it('refuses a token signed with a key the tenant does not publish (a forgery)', async () => {
    const forger = await new FakeEntra({ tenantId: TENANT, client: GRAPH_APP }).start();
    try {
      // The tenant's issuer, audience and caller: only the signing key is wrong.
      const forged = await forger.mintToken({ audience: AUDIENCE, appid: LOGIC_APP, issuerBase: entra.url });
      const err = await refused(verify(`Bearer ${forged}`));
      expect(err.message).toMatch(/not signed by the tenant's keys/);
    } finally {
      await forger.stop();
    }
  });
});

describe('Entra key set unreachable', () => {
  it('fails as our fault (not a refusal, never a pass) when the tenant keys cannot be fetched', async () => {
    const offline = { ...source, authority: 'http://127.0.0.1:9' };
    const token = await entra.mintToken({ audience: AUDIENCE, appid: LOGIC_APP });
    const err = await Promise.resolve(
      verifyEntraToken('{}', { authorization: `Bearer ${token}` }, '', { now: new Date(), source: offline }),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(SignatureError);
  });
});

describe('Lifecycle Workflows callout', () => {
  it('is a termination of the subject, keyed by the task processing result, carrying the resume path', () => {
    const callout = lcwCallout({
      id: 'a1b2c3d4-0000-4000-8000-000000000042',
      employeeId: 'E1042',
      userPrincipalName: 'ada@example.com',
    });
    const { events } = parseEntraLcwPayload(callout, { source, receivedAt: new Date() });
    expect(events[0]).toMatchObject({
      eventId: `entra:${callout.data.taskProcessingResult.id}`,
      kind: 'termination',
      person: { employeeId: 'E1042', userName: 'ada@example.com', emails: ['ada@example.com'] },
      resume: { path: callout.data.callbackUriPath },
    });
  });

  it("falls back to the object id without an employeeId, and refuses a resume path that is not Graph's", () => {
    const callout = lcwCallout({
      id: 'a1b2c3d4-0000-4000-8000-000000000043',
      userPrincipalName: 'bob@example.com',
    });
    expect(
      parseEntraLcwPayload(callout, { source, receivedAt: new Date() }).events[0]?.person.employeeId,
    ).toBe(callout.data.subject.id);
    const hostile = { ...callout, data: { ...callout.data, callbackUriPath: '/users/x/../../evil' } };
    expect(() => parseEntraLcwPayload(hostile, { source, receivedAt: new Date() })).toThrow(ValidationError);
  });
});

class RecordingNotifier extends Notifier {
  readonly sent: Notification[] = [];
  async notify(n: Notification) {
    this.sent.push(n);
  }
}

describe('resuming the task after the revocation', () => {
  let audit: InMemoryAuditLog;
  let alerts: RecordingNotifier;
  let secrets: InMemorySecretSource;
  const callout = lcwCallout({
    id: 'a1b2c3d4-0000-4000-8000-000000000044',
    userPrincipalName: 'cy@example.com',
  });
  const eventId = `entra:${callout.data.taskProcessingResult.id}`;
  const summary = (outcome: Summary['outcome']): Summary => ({
    eventId,
    personId: 'P1',
    outcome,
    failedTargets: [],
    targets: [],
  });

  beforeEach(async () => {
    audit = new InMemoryAuditLog();
    alerts = new RecordingNotifier();
    secrets = new InMemorySecretSource({ 'scimitar/sources/entra': JSON.stringify(GRAPH_APP) });
    entra.resumes.length = 0;
    entra.resumeStatus = 204;
    await audit.append({
      eventId,
      entryId: 'e1',
      at: new Date().toISOString(),
      step: 'RECEIVED',
      personId: 'P1',
      actor: 'ingest',
      detail: { source: 'entra', event: { resume: { path: callout.data.callbackUriPath } } },
    });
  });
  const resumer = () =>
    new LifecycleWorkflowResumer({
      config: { sources: [source] },
      secrets,
      audit,
      alerts,
      clock: { now: () => new Date() },
    });

  it('posts Completed (or Failed) to the resume path with a Graph token, and audits RESUMED', async () => {
    expect(await resumer().resume(summary('COMPLETED'))).toBe('resumed');
    expect(await resumer().resume(summary('PARTIAL'))).toBe('resumed');
    expect(
      entra.resumes.map((r) => [
        r.path,
        (r.body as { data: { operationStatus: string } }).data.operationStatus,
      ]),
    ).toEqual([
      [callout.data.callbackUriPath, 'Completed'],
      [callout.data.callbackUriPath, 'Failed'],
    ]);
    expect(audit.entries.filter((e) => e.step === 'RESUMED')).toHaveLength(2);
  });

  it('fails visibly when Graph refuses: audited FAILED and an alert naming the runbook, never a secret', async () => {
    entra.resumeStatus = 503;
    expect(await resumer().resume(summary('COMPLETED'))).toBe('failed');
    expect(audit.entries.find((e) => e.step === 'FAILED')?.detail).toMatchObject({
      reason: 'Graph answered 503 to the resume call',
    });
    expect(alerts.sent[0]?.message).toMatch(/Lifecycle Workflows task not resumed/);
    expect(JSON.stringify(alerts.sent)).not.toContain(GRAPH_APP.clientSecret);
  });

  it('fails visibly with wrong credentials, and resumes nothing for an event that did not come from Lifecycle Workflows', async () => {
    secrets = new InMemorySecretSource({
      'scimitar/sources/entra': JSON.stringify({ ...GRAPH_APP, clientSecret: 'wrong' }),
    });
    expect(await resumer().resume(summary('COMPLETED'))).toBe('failed');
    expect(await resumer().resume({ ...summary('COMPLETED'), eventId: 'generic:evt-9' })).toBe('none');
    const noResume = new LifecycleWorkflowResumer({
      config: { sources: [{ ...source, resume: false }] },
      secrets,
      audit,
      alerts,
      clock: { now: () => new Date() },
    });
    expect(await noResume.resume(summary('COMPLETED'))).toBe('none');
    expect(entra.resumes).toEqual([]);
  });
});
