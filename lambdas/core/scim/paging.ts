// Walks a SCIM list one page at a time, trusting only what each page shows: servers cap `count`
// silently, ignore `startIndex`, or answer an empty page past the end. Never loops forever and never
// yields a resource twice.
import { ScimPagingError } from './errors.ts';

export type PagingStyle = 'index' | 'cursor';

export interface ListPage<T> {
  readonly resources: readonly T[];
  readonly totalResults: number;
  readonly nextCursor?: string;
}

export interface PageRequest {
  /** Query parameters for this page (startIndex+count, or cursor+count). */
  readonly query: Record<string, string>;
}

export interface PagingOptions<T> {
  readonly style: PagingStyle;
  readonly pageSize: number;
  readonly idOf: (resource: T) => string;
  readonly fetchPage: (request: PageRequest) => Promise<ListPage<T>>;
  /** Method and path for errors. */
  readonly describe: { method: string; path: string };
  /**
   * Hard stop, whatever the server says.
   * @default 100_000
   */
  readonly maxPages?: number;
}

/** Where a listing stands between pages: what the next page request starts from. */
export type ListPosition = { readonly startIndex: number } | { readonly cursor: string };

export interface ListedPage<T> {
  /** Resources of this page not yielded before by this listing. */
  readonly resources: readonly T[];
  /** Where the next page starts; undefined when this was the last page. */
  readonly next?: ListPosition;
}

/**
 * Yields every resource of the list once. Holds one page of resources in memory, plus the ids
 * already yielded (the only way to notice a server that serves the same page again).
 */
export async function* pages<T>(options: PagingOptions<T>): AsyncGenerator<T, void, undefined> {
  for await (const page of listPages(options)) yield* page.resources;
}

/**
 * The same walk as `pages`, a page at a time with the position of the next one, so a caller can
 * stop between pages and continue later (from another process) with `from`. Ids already yielded
 * are remembered only within one walk: a caller that resumes must notice repeats across walks.
 */
export async function* listPages<T>(
  options: PagingOptions<T> & { readonly from?: ListPosition },
): AsyncGenerator<ListedPage<T>, void, undefined> {
  const { style, pageSize, idOf, fetchPage, describe, maxPages = 100_000, from } = options;
  const seen = new Set<string>();
  let startIndex = from && 'startIndex' in from ? from.startIndex : 1;
  let cursor: string | undefined = from && 'cursor' in from ? from.cursor : undefined;
  const cursorsUsed = new Set<string>(cursor === undefined ? [] : [cursor]);
  let overlapped = false;
  // Past the end the server reported, a full page was read on once (it may under-report).
  let beyondReportedEnd = false;

  for (let pageNumber = 1; ; pageNumber++) {
    if (pageNumber > maxPages) {
      throw new ScimPagingError(`listing did not end after ${maxPages} pages`, describe);
    }
    const query: Record<string, string> =
      style === 'index'
        ? { startIndex: String(startIndex), count: String(pageSize) }
        : // RFC 9865: an empty cursor asks for the first page.
          { cursor: cursor ?? '', count: String(pageSize) };
    const page = await fetchPage({ query });
    if (page.resources.length === 0) return;

    const fresh = page.resources.filter((r) => {
      const id = idOf(r);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    if (fresh.length === 0) {
      // Servers that repeat a page past their end (SCIMMY does) after a full last page: the end.
      if (beyondReportedEnd) return;
      throw new ScimPagingError(
        style === 'index'
          ? `the server answered startIndex=${startIndex} with resources it had already returned; it ignores startIndex, so the listing cannot be completed`
          : 'the server answered a cursor with resources it had already returned',
        describe,
      );
    }

    let next: ListPosition | undefined;
    if (style === 'index') {
      // Advance by what was returned, not by what was asked: servers cap count silently.
      startIndex += page.resources.length;
      // Overlapping pages mean the list shifted under us (accounts added while listing): totalResults
      // no longer tells where the end is, so read on until an empty page.
      if (fresh.length < page.resources.length) overlapped = true;
      beyondReportedEnd = startIndex > page.totalResults;
      // A full page past the reported end may mean totalResults under-reports: stopping there
      // could miss the one account a revocation looks for, so read on until a short page.
      const full = page.resources.length >= pageSize;
      if (!(beyondReportedEnd && !overlapped && !full)) next = { startIndex };
    } else if (page.nextCursor) {
      if (cursorsUsed.has(page.nextCursor)) {
        throw new ScimPagingError('the server returned a cursor it had already returned', describe);
      }
      cursorsUsed.add(page.nextCursor);
      cursor = page.nextCursor;
      next = { cursor };
    }
    yield next ? { resources: fresh, next } : { resources: fresh };
    if (!next) return;
  }
}
