import { describe, expect, it } from 'vitest';
import { ScimPagingError } from '../../../lambdas/core/scim/index.ts';
import { type ListPage, type PageRequest, pages } from '../../../lambdas/core/scim/paging.ts';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `u${i + 1}`);

/** A list server over `all`, with adjustable misbehaviour. */
function server(
  all: string[],
  opts: { cap?: number; ignoreStart?: boolean; pastEnd?: 'empty' | 'first' } = {},
) {
  const asked: Record<string, string>[] = [];
  const fetchPage = async ({ query }: PageRequest): Promise<ListPage<string>> => {
    asked.push(query);
    const count = Math.min(Number(query.count), opts.cap ?? Number.POSITIVE_INFINITY);
    let start = opts.ignoreStart ? 1 : Number(query.startIndex);
    if (start > all.length && opts.pastEnd === 'first') start = 1;
    return { resources: all.slice(start - 1, start - 1 + count), totalResults: all.length };
  };
  return { asked, fetchPage };
}

async function collect(gen: AsyncGenerator<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

const base = { idOf: (s: string) => s, describe: { method: 'GET', path: '/Users' } };

describe('SCIM paging: startIndex', () => {
  it('reads every page once, advancing by what the server returned', async () => {
    const s = server(ids(25), { cap: 10 });
    const got = await collect(pages({ ...base, style: 'index', pageSize: 100, fetchPage: s.fetchPage }));
    expect(got).toEqual(ids(25));
    expect(s.asked.map((q) => q.startIndex)).toEqual(['1', '11', '21']);
  });

  it('stops at an empty page when totalResults overstates the list', async () => {
    const fetchPage = async ({ query }: PageRequest) => ({
      resources: query.startIndex === '1' ? ['a', 'b'] : [],
      totalResults: 50,
    });
    expect(await collect(pages({ ...base, style: 'index', pageSize: 2, fetchPage }))).toEqual(['a', 'b']);
  });

  it('reads past a totalResults that under-reports the list, until a short page', async () => {
    // A server that says 4 while holding 7: stopping at its word would miss the account sought.
    const all = ids(7);
    const fetchPage = async ({ query }: PageRequest) => {
      const start = Number(query.startIndex);
      return { resources: all.slice(start - 1, start - 1 + Number(query.count)), totalResults: 4 };
    };
    expect(await collect(pages({ ...base, style: 'index', pageSize: 2, fetchPage }))).toEqual(all);
  });

  it('ends cleanly when a server repeats page one past the end of an exactly full last page', async () => {
    const s = server(ids(4), { pastEnd: 'first' });
    expect(await collect(pages({ ...base, style: 'index', pageSize: 2, fetchPage: s.fetchPage }))).toEqual(
      ids(4),
    );
    expect(s.asked.map((q) => q.startIndex)).toEqual(['1', '3', '5']);
  });

  it('fails rather than loop when the server ignores startIndex', async () => {
    const s = server(ids(30), { ignoreStart: true });
    const got: string[] = [];
    const run = async () => {
      for await (const x of pages({ ...base, style: 'index', pageSize: 10, fetchPage: s.fetchPage }))
        got.push(x);
    };
    await expect(run()).rejects.toThrow(ScimPagingError);
    expect(got).toEqual(ids(10));
    expect(s.asked).toHaveLength(2);
  });

  it('never yields an account twice, and reads past totalResults, when pages overlap', async () => {
    let call = 0;
    const fetchPage = async () => {
      call += 1;
      const pagesServed = [
        ['a', 'b', 'c'],
        ['c', 'd', 'e'],
        ['e', 'f'],
      ];
      return { resources: pagesServed[call - 1] ?? [], totalResults: 6 };
    };
    expect(await collect(pages({ ...base, style: 'index', pageSize: 3, fetchPage }))).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
    ]);
  });

  it('fails after maxPages whatever the server claims', async () => {
    let n = 0;
    const fetchPage = async () => ({ resources: [`x${n++}`], totalResults: Number.MAX_SAFE_INTEGER });
    await expect(
      collect(pages({ ...base, style: 'index', pageSize: 1, fetchPage, maxPages: 5 })),
    ).rejects.toThrow(/did not end after 5 pages/);
  });
});

describe('SCIM paging: cursor', () => {
  it('follows nextCursor from an empty first cursor until there is none', async () => {
    const asked: string[] = [];
    const fetchPage = async ({ query }: PageRequest) => {
      asked.push(query.cursor ?? '(none)');
      const table: Record<string, ListPage<string>> = {
        '': { resources: ['a', 'b'], totalResults: 5, nextCursor: 'c1' },
        c1: { resources: ['c', 'd'], totalResults: 5, nextCursor: 'c2' },
        c2: { resources: ['e'], totalResults: 5 },
      };
      return table[query.cursor ?? ''] as ListPage<string>;
    };
    expect(await collect(pages({ ...base, style: 'cursor', pageSize: 2, fetchPage }))).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    expect(asked).toEqual(['', 'c1', 'c2']);
  });

  it('fails when the server hands back a cursor it already gave', async () => {
    let n = 0;
    const fetchPage = async () => ({ resources: [`x${n++}`], totalResults: 100, nextCursor: 'same' });
    await expect(collect(pages({ ...base, style: 'cursor', pageSize: 1, fetchPage }))).rejects.toThrow(
      ScimPagingError,
    );
  });
});
