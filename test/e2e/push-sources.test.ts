// Each push source end to end on the local runtime: a delivery from its fake sender (signed or
// authenticated as the vendor does) revokes the leaver's accounts in the demo applications; Okta's
// verification GET is answered; Lifecycle Workflows is resumed with the outcome at a fake Graph.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeEntra, lcwCallout } from '../../local/fakes/entra-lcw.ts';
import {
  type FakeDelivery,
  hibobDelivery,
  oktaEventHookDelivery,
  personioDelivery,
  ripplingDelivery,
} from '../../local/fakes/hr-webhooks.ts';
import type { LocalRuntime } from '../../local/runtime.ts';
import sample from '../../scimitar.config.ts';
import { endedExecution, steps } from '../support/events.ts';
import { eventually } from '../support/eventually.ts';
import { signingKey, startTestRuntime, testConfig } from '../support/local-runtime.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const LOGIC_APP = '3c9d6f0e-5b1a-4e2f-8c7d-9a0b1c2d3e4f';
const GRAPH_APP = { clientId: 'b5a1c2d3-0000-4000-8000-000000000001', clientSecret: 'graph-app-secret-e91' };
const entra = new FakeEntra({ tenantId: TENANT, client: GRAPH_APP });
let runtime: LocalRuntime & { lines: string[] };

beforeAll(async () => {
  await entra.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'scimitar-e2e-push-'));
  // The entra-lcw source's secret is the Graph app's credentials, as an operator would store it.
  writeFileSync(
    join(dataDir, 'secrets.json'),
    JSON.stringify({ 'Scimitar/sources/entra': JSON.stringify(GRAPH_APP) }),
  );
  const config = testConfig({
    sources: [
      ...sample.sources,
      { id: 'hibob', kind: 'hibob' },
      { id: 'rippling', kind: 'rippling' },
      { id: 'personio', kind: 'personio' },
      { id: 'okta', kind: 'okta-event-hook' },
      {
        id: 'entra',
        kind: 'entra-lcw',
        tenantId: TENANT,
        audience: 'api://scimitar',
        allowedCallers: [LOGIC_APP],
        authority: entra.url,
        graphBaseUrl: entra.url,
      },
    ],
    // Rippling and Personio name a person by id only: the chat app is matched by externalId here.
    targets: sample.targets.map((t) =>
      t.id === 'chat' ? { ...t, matchAttribute: 'externalId' as const } : t,
    ),
  });
  runtime = await startTestRuntime({ config, dataDir });
}, 120_000);
afterAll(async () => {
  await runtime?.stop();
  await entra.stop();
});

function person(index: number) {
  const found = runtime.people[index];
  if (!found) throw new Error(`no demo person ${index}`);
  return found;
}
const app = (targetId: string) => runtime.lanes.get(targetId)?.app;

async function post(source: string, delivery: FakeDelivery) {
  const response = await fetch(`${runtime.url}/events/${source}`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  return { status: response.status, body: (await response.json()) as { eventId?: string; error?: string } };
}

async function revoked(source: string, delivery: FakeDelivery) {
  const answer = await post(source, delivery);
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  const eventId = answer.body.eventId as string;
  await endedExecution(runtime, eventId);
  return steps(await runtime.audit.forEvent(eventId));
}

describe('push sources on the local runtime', () => {
  it('HiBob employee.left (Bob-Signature) revokes the leaver where matched by userName and e-mail', async () => {
    const leaver = person(0);
    const delivery = hibobDelivery(signingKey(runtime, 'hibob'), {
      type: 'employee.left',
      employeeId: leaver.employeeId,
      email: leaver.userName,
      at: runtime.clock.now(),
    });
    const timeline = await revoked('hibob', delivery);
    expect(timeline).toContain('VERIFIED:code');
    expect(timeline).toContain('VERIFIED:wiki');
    expect(app('code')?.userByName(leaver.userName)?.active).toBe(false);
    expect(app('wiki')?.userByName(leaver.userName)?.active).toBe(false);
    expect(
      (await post('hibob', { ...delivery, headers: { ...delivery.headers, 'Bob-Signature': 'AAAA' } }))
        .status,
    ).toBe(401);
  });

  it('Rippling employee.deleted (bearer token) and Personio employment.terminated revoke where matched by externalId', async () => {
    const first = person(1);
    const second = person(2);
    expect(
      await revoked(
        'rippling',
        ripplingDelivery(signingKey(runtime, 'rippling'), {
          eventName: 'employee.deleted',
          employeeId: first.employeeId,
        }),
      ),
    ).toContain('VERIFIED:chat');
    expect(
      await revoked(
        'personio',
        personioDelivery(signingKey(runtime, 'personio'), {
          eventName: 'employment.terminated',
          personId: second.employeeId,
          at: runtime.clock.now(),
        }),
      ),
    ).toContain('VERIFIED:chat');
    // chat deletes its leavers.
    expect(app('chat')?.userByName(first.userName)).toBeUndefined();
    expect(app('chat')?.userByName(second.userName)).toBeUndefined();
    const wrong = ripplingDelivery('not-the-token', {
      eventName: 'employee.deleted',
      employeeId: first.employeeId,
    });
    expect((await post('rippling', wrong)).status).toBe(401);
  });

  it("Okta answers the one-time verification GET, then a deactivation revokes the user's accounts", async () => {
    const challenge = 'X8d7XqKf0R5ZbBNd7ULlq1ZcPplyWjR4B2ZqO0pN';
    const verification = await fetch(`${runtime.url}/events/okta`, {
      headers: { 'X-Okta-Verification-Challenge': challenge },
    });
    expect(verification.status).toBe(200);
    expect(await verification.json()).toEqual({ verification: challenge });
    expect(
      (
        await fetch(`${runtime.url}/events/hibob`, {
          headers: { 'X-Okta-Verification-Challenge': challenge },
        })
      ).status,
    ).toBe(405);
    const leaver = person(3);
    const delivery = oktaEventHookDelivery(signingKey(runtime, 'okta'), {
      eventType: 'user.lifecycle.deactivate',
      userId: '00u1ab2cd3EF4gh5I6j7',
      login: leaver.userName,
      at: runtime.clock.now(),
    });
    const timeline = await revoked('okta', delivery);
    expect(timeline).toContain('VERIFIED:code');
    expect(app('code')?.userByName(leaver.userName)?.active).toBe(false);
  });

  it('Entra Lifecycle Workflows (Logic App token) revokes, then the task is resumed at Graph with the outcome', async () => {
    const leaver = person(4);
    const callout = lcwCallout({
      id: 'a1b2c3d4-0000-4000-8000-000000000044',
      employeeId: leaver.employeeId,
      userPrincipalName: leaver.userName,
    });
    const token = await entra.mintToken({ audience: 'api://scimitar', appid: LOGIC_APP });
    const timeline = await revoked('entra', {
      body: JSON.stringify(callout),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    });
    expect(timeline, timeline.join(' ')).toContain('VERIFIED:wiki');
    expect(timeline).toContain('COMPLETED');
    expect(app('wiki')?.userByName(leaver.userName)?.active).toBe(false);
    const resumed = await eventually('the Lifecycle Workflows task resumed', () =>
      entra.resumes.find((r) => r.path === callout.data.callbackUriPath),
    );
    // Every target revoked: the task is resumed as completed, and the timeline ends with it.
    expect(resumed.body).toEqual({
      data: { operationStatus: 'Completed' },
      source: 'scimitar',
      type: 'lifecycleEvent',
    });
    expect(timeline.at(-1)).toBe('RESUMED');
    const forged = await entra.mintToken({ audience: 'api://other', appid: LOGIC_APP });
    expect(
      (
        await post('entra', {
          body: JSON.stringify(callout),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${forged}` },
        })
      ).status,
    ).toBe(401);
  });
});
