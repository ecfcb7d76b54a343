// Every audit write the code makes goes through DynamoAuditLog.append, whose one write is a put
// conditional on attribute_not_exists (an overwrite is refused: test/integration/aws/received.test.ts).
// IAM cannot require the condition, so this holds the code to it: a new writer must come here first.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((f) => f.isFile() && f.name.endsWith('.ts'))
    .map((f) => join(f.parentPath, f.name));
}

describe('audit writers', () => {
  it('hands the audit table to nothing but DynamoAuditLog, in every Lambda entry and wiring module', () => {
    // An entry reads its environment itself, or through its wiring module (shared with the local runtime).
    const entries = [...sources('lambdas/aws/entries'), ...sources('lambdas/aws/wiring')];
    const uses = entries.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/(.{0,60})requireEnv\('AUDIT_TABLE'(?:, [\w.]+)?\)/g)].map(
        (m) => m[1],
      ),
    );
    // ingest, worker (entries), reconcile, and plan with summarize (one table helper in workflow-steps.ts).
    expect(uses.length).toBeGreaterThanOrEqual(4);
    for (const before of uses) expect(before).toMatch(/new DynamoAuditLog\(\{ tableName: $/);
  });

  it('writes the audit log only with a put conditional on attribute_not_exists', () => {
    const adapter = readFileSync(join(root, 'lambdas/aws/adapters/dynamo-audit-log.ts'), 'utf8');
    const writes = [...adapter.matchAll(/new (\w+Command)\(/g)].map((m) => m[1]);
    expect(writes).toEqual(['PutCommand']);
    expect(adapter).toMatch(
      /new PutCommand\(\{[^}]*Item: withLeaverIndexKey\(entry\),\s*ConditionExpression: 'attribute_not_exists\(entryId\)'/,
    );
  });

  it('builds no DynamoDB write command outside the adapters', () => {
    const offenders = ['lambdas/core', 'lambdas/handlers', 'lambdas/aws/entries', 'local']
      .flatMap(sources)
      .filter((file) =>
        /new (Put|PutItem|Update|UpdateItem|Delete|DeleteItem|BatchWrite|BatchWriteItem|TransactWrite|TransactWriteItems)Command\(/.test(
          readFileSync(file, 'utf8'),
        ),
      );
    expect(offenders).toEqual([]);
  });
});
