import { describe, expect, it } from 'vitest';
import { ScimPagingError } from '../../../lambdas/core/scim/index.ts';
import { type ListedPage, listPages, type PageRequest } from '../../../lambdas/core/scim/paging.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `u${i + 1}`);
const base = { idOf: (s: string) => s, describe: { method: 'GET', path: '/Users' } };

function indexServer(all: string[], cap = Number.POSITIVE_INFINITY) {
  const asked: Record<string, string>[] = [];
  return {
    asked,
    fetchPage: async ({ query }: PageRequest) => {
      asked.push(query);
      const start = Number(query.startIndex);
      return {
        resources: all.slice(start - 1, start - 1 + Math.min(Number(query.count), cap)),
        totalResults: all.length,
      };
    },
  };
}

async function collect(gen: AsyncGenerator<ListedPage<string>>): Promise<ListedPage<string>[]> {
  const out: ListedPage<string>[] = [];
  for await (const page of gen) out.push(page);
  return out;
}

describe('SCIM paging: page by page, resumable', () => {
  it('gives each page with the position of the next, and none after the last', async () => {
    const s = indexServer(ids(25), 10);
    const got = await collect(listPages({ ...base, style: 'index', pageSize: 100, fetchPage: s.fetchPage }));
    expect(got.map((p) => p.resources.length)).toEqual([10, 10, 5]);
    expect(got.map((p) => p.next)).toEqual([{ startIndex: 11 }, { startIndex: 21 }, undefined]);
  });

  it('continues from a saved position in a new walk, reading only what is left', async () => {
    const s = indexServer(ids(25), 10);
    const got = await collect(
      listPages({ ...base, style: 'index', pageSize: 10, fetchPage: s.fetchPage, from: { startIndex: 21 } }),
    );
    expect(got.flatMap((p) => p.resources)).toEqual(ids(25).slice(20));
    expect(s.asked.map((q) => q.startIndex)).toEqual(['21']);
  });

  it('continues a cursor walk from a saved cursor', async () => {
    const all = ids(6);
    const fetchPage = async ({ query }: PageRequest) => {
      const at = query.cursor ? Number(query.cursor) : 0;
      const next = at + 2 < all.length ? String(at + 2) : undefined;
      return {
        resources: all.slice(at, at + 2),
        totalResults: all.length,
        ...(next && { nextCursor: next }),
      };
    };
    const got = await collect(
      listPages({ ...base, style: 'cursor', pageSize: 2, fetchPage, from: { cursor: '2' } }),
    );
    expect(got.flatMap((p) => p.resources)).toEqual(['u3', 'u4', 'u5', 'u6']);
    expect(got.map((p) => p.next)).toEqual([{ cursor: '4' }, undefined]);
  });

  it('fails before handing out a page whose next cursor was already used', async () => {
    const fetchPage = async () => ({ resources: ['a'], totalResults: 9, nextCursor: 'same' });
    const walk = listPages({ ...base, style: 'cursor', pageSize: 1, fetchPage, from: { cursor: 'same' } });
    await expect(walk.next()).rejects.toThrow(ScimPagingError);
  });
});
