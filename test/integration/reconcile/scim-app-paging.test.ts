import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ScimApp, start } from '../../../local/scim-app.ts';

// The local app hands SCIMMY only the part of the list a page needs (100,000 users would take seconds
// per page otherwise); SCIMMY slices by its own rule, so every startIndex and count must still give
// exactly the page asked for.
let app: ScimApp;
const names = Array.from({ length: 10 }, (_, i) => `pg${String(i + 1).padStart(2, '0')}`);
beforeAll(async () => {
  app = await start({ tokens: ['t'], maxResults: 4 });
  app.seed({ users: names.map((userName) => ({ userName })) });
});
afterAll(async () => {
  await app.close();
});

describe('local SCIM app: paging', () => {
  it('answers every startIndex and count with exactly that page, capped at maxResults', async () => {
    const wrong: string[] = [];
    for (let startIndex = 1; startIndex <= 12; startIndex++) {
      for (let count = 1; count <= 6; count++) {
        const res = await fetch(`${app.url}/Users?startIndex=${startIndex}&count=${count}`, {
          headers: { authorization: 'Bearer t' },
        });
        const body = (await res.json()) as {
          Resources?: { userName: string }[];
          totalResults: number;
          startIndex: number;
        };
        const got = (body.Resources ?? []).map((r) => r.userName);
        const want = names.slice(startIndex - 1, startIndex - 1 + Math.min(count, 4));
        if (JSON.stringify(got) !== JSON.stringify(want) || body.totalResults !== 10) {
          wrong.push(`startIndex=${startIndex} count=${count}: ${got.join(',')} (want ${want.join(',')})`);
        }
        if (got.length > 0) expect(body.startIndex).toBe(startIndex);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('finds a user by userName among many without scanning them all', async () => {
    const many = await start({ tokens: ['t'] });
    try {
      const started = performance.now();
      many.seed({ users: Array.from({ length: 50_000 }, (_, i) => ({ userName: `Many${i}@example.com` })) });
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(many.userByName('many49999@EXAMPLE.com')?.userName).toBe('Many49999@example.com');
    } finally {
      await many.close();
    }
  });
});
