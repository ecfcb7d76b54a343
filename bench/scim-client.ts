// Benchmark, not a test: find + deactivate + verify per second through ScimClient.revoke() against
// a bare fetch loop making the same three requests, both against the local SCIM application on
// loopback, rounds interleaved (and alternating who goes first) so drift hits both alike.
//   npm run bench                      (defaults)
//   BENCH_USERS=2000 BENCH_ROUNDS=10 BENCH_OPS=300 npm run bench
import { BearerToken, PATCH_OP_SCHEMA, ScimClient } from '../lambdas/core/scim/index.ts';
import { start } from '../local/scim-app.ts';

const USERS = Number(process.env.BENCH_USERS ?? 250);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const OPS = Number(process.env.BENCH_OPS ?? 200);
const TOKEN = 'bench-token-0123456789';

const app = await start({ tokens: [TOKEN] });
const seeded = app.seed({
  users: Array.from({ length: USERS }, (_, i) => ({ userName: `user${i}@bench.example` })),
}).users;

const client = new ScimClient({ baseUrl: app.url, credentials: new BearerToken(async () => TOKEN) });

async function viaClient(userName: string): Promise<void> {
  const evidence = await client.revoke({
    match: { attribute: 'userName', value: userName },
    action: 'deactivate',
  });
  if (evidence.outcome !== 'revoked') throw new Error(`client: ${userName} ${evidence.outcome}`);
}

// The same headers the client sends, so both sides make byte-for-byte comparable requests.
const headers = {
  authorization: `Bearer ${TOKEN}`,
  accept: 'application/scim+json, application/json',
  'user-agent': 'scimitar/bench',
};
const patchHeaders = { ...headers, 'content-type': 'application/scim+json' };
async function viaFetch(userName: string): Promise<void> {
  const filter = new URLSearchParams({ filter: `userName eq ${JSON.stringify(userName)}` });
  const found = (await (await fetch(`${app.url}/Users?${filter}`, { headers })).json()) as {
    Resources: { id: string }[];
  };
  const id = found.Resources[0]?.id;
  if (!id) throw new Error(`fetch: ${userName} not found`);
  const patched = await fetch(`${app.url}/Users/${id}`, {
    method: 'PATCH',
    headers: patchHeaders,
    body: JSON.stringify({
      schemas: [PATCH_OP_SCHEMA],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    }),
  });
  await patched.text();
  const read = (await (await fetch(`${app.url}/Users/${id}`, { headers })).json()) as { active: boolean };
  if (read.active !== false) throw new Error(`fetch: ${userName} still active`);
}

type Runner = (userName: string) => Promise<void>;
const totals = { client: { ops: 0, ms: 0 }, fetch: { ops: 0, ms: 0 } };

async function batch(name: keyof typeof totals, run: Runner, offset: number): Promise<void> {
  const names: string[] = [];
  for (let i = 0; i < OPS; i++) {
    const user = seeded[(offset + i) % seeded.length];
    if (!user) throw new Error('no seeded user');
    // Reactivate directly so every operation really revokes.
    const stored = app.users.get(user.id);
    if (stored) stored.active = true;
    names.push(user.userName);
  }
  const started = performance.now();
  for (const userName of names) await run(userName);
  totals[name].ms += performance.now() - started;
  totals[name].ops += OPS;
}

// Warm-up: JIT, sockets, SCIMMY's first parses.
await batch('client', viaClient, 0);
await batch('fetch', viaFetch, OPS);
totals.client = { ops: 0, ms: 0 };
totals.fetch = { ops: 0, ms: 0 };

for (let round = 0; round < ROUNDS; round++) {
  const offset = round * OPS * 2;
  if (round % 2 === 0) {
    await batch('client', viaClient, offset);
    await batch('fetch', viaFetch, offset + OPS);
  } else {
    await batch('fetch', viaFetch, offset);
    await batch('client', viaClient, offset + OPS);
  }
}
await app.close();

const rate = (t: { ops: number; ms: number }) => (t.ops / t.ms) * 1000;
const clientRate = rate(totals.client);
const fetchRate = rate(totals.fetch);
console.log(
  `scim-client bench: ${USERS} users, ${ROUNDS} interleaved rounds x ${OPS} ops each side, sequential`,
);
console.log(
  `  find+deactivate+verify via ScimClient.revoke : ${clientRate.toFixed(0).padStart(6)} ops/s  (${(totals.client.ms / totals.client.ops).toFixed(2)} ms/op)`,
);
console.log(
  `  same 3 requests via bare fetch               : ${fetchRate.toFixed(0).padStart(6)} ops/s  (${(totals.fetch.ms / totals.fetch.ops).toFixed(2)} ms/op)`,
);
console.log(`  overhead ratio (fetch ops/s / client ops/s)  : ${(fetchRate / clientRate).toFixed(3)}x`);
