// The SCIM ids of the orphan and drift accounts a pass lists, kept while it scans: the `limit`
// lowest of each kind (the order a findings list takes them in), so a complete pass reads those
// few states back instead of querying every state of the target for them.
import type { ReconciliationStore } from './ports.ts';
import {
  type AccountState,
  type FindingClassification,
  FindingsCollector,
  type FindingsList,
} from './state.ts';

/** The `limit` lowest ids offered, in order, each once. */
class LowestIds {
  readonly ids: string[] = [];

  constructor(private readonly limit: number) {}

  offer(id: string): void {
    const ids = this.ids;
    if (ids.length >= this.limit && id >= (ids.at(-1) ?? '')) return;
    let low = 0;
    let high = ids.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((ids[mid] as string) < id) low = mid + 1;
      else high = mid;
    }
    if (ids[low] === id) return;
    ids.splice(low, 0, id);
    if (ids.length > this.limit) ids.pop();
  }
}

export class FindingIds {
  private readonly kinds: Record<FindingClassification, LowestIds>;

  constructor(readonly limit: number) {
    this.kinds = { drift: new LowestIds(limit), orphan: new LowestIds(limit) };
  }

  offer(state: Pick<AccountState, 'scimId' | 'classification'>): void {
    const { classification } = state;
    if (classification === 'drift' || classification === 'orphan')
      this.kinds[classification].offer(state.scimId);
  }

  /** The ids kept: at most `limit` drift, then at most `limit` orphans, each in id order. */
  get ids(): string[] {
    return [...this.kinds.drift.ids, ...this.kinds.orphan.ids];
  }

  /**
   * The findings list of a complete pass that judged every account in this invocation, `found`
   * orphan and drift accounts in all: the list a store query makes (ReconciliationStore.findings:
   * the lowest SCIM ids of each kind; DynamoDB orders them by UTF-8 bytes, this by UTF-16 units,
   * which differ only between characters beyond U+FFFF and those from U+E000), read from at most
   * twice `limit` states.
   */
  async list(targetId: string, found: number, store: ReconciliationStore): Promise<FindingsList> {
    const ids = this.ids;
    const states = await store.accountsByIds(targetId, ids);
    const collector = new FindingsCollector(this.limit);
    let listed = 0;
    for (const id of ids) {
      const state = states.get(id);
      if (state?.classification !== 'drift' && state?.classification !== 'orphan') continue;
      collector.add(state);
      listed += 1;
    }
    collector.count(found - listed);
    return collector.result();
  }
}
