// Where scimitar keeps its evidence and its memory: the append-only audit log (one item per
// step of a revocation) and the state table (leaver ledger, revocation budget, account state).
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { LEAVER_INDEX, LEAVER_INDEX_KEY } from '../lambdas/core/report/leaver-index.ts';

/** Index of the audit table by person: a leaver's timeline across events. */
export const AUDIT_BY_PERSON_INDEX = 'byPerson';

/** The state table's TTL attribute (epoch seconds): items that carry it are deleted after it. */
export const STATE_TTL_ATTRIBUTE = 'expiresAt';

/** Partition keys of a target's items: reconciliation state, account states, leaver copies, budget. */
const PASS_KEYS = ['TARGET#*'] as const;
/** Partition keys of the HR roster: the pointer to the current version, and each version's chunks. */
const ROSTER_KEYS = ['ROSTER', 'ROSTER#*'] as const;

/** A function that receives a table's name in its environment. */
type BindableFunction = IFunction & { addEnvironment(key: string, value: string): unknown };

export interface AuditStoreProps {
  /**
   * Key that encrypts both tables at rest.
   * @default - a new customer-managed key with yearly rotation, retained with the tables
   */
  readonly encryptionKey?: IKey;
  /**
   * What happens to the tables (and the key this construct creates) when the stack is deleted.
   * The audit log is evidence: keep it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class AuditStore extends Construct {
  /** Audit log: partition key `eventId`, sort key `entryId`, index `byPerson` (`personId`, `entryId`). */
  public readonly auditTable: Table;
  /** State: partition key `pk`, sort key `sk` (ledger, revocation budget windows, account state). */
  public readonly stateTable: Table;
  /** The key both tables are encrypted with. */
  public readonly encryptionKey: IKey;

  constructor(scope: Construct, id: string, props: AuditStoreProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retained = removalPolicy === RemovalPolicy.RETAIN;

    this.encryptionKey =
      props.encryptionKey ??
      new Key(this, 'Key', {
        description: 'scimitar audit log and state tables',
        enableKeyRotation: true,
        removalPolicy,
      });

    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: retained,
      removalPolicy,
    } as const;

    this.auditTable = new Table(this, 'AuditTable', {
      ...common,
      partitionKey: { name: 'eventId', type: AttributeType.STRING },
      sortKey: { name: 'entryId', type: AttributeType.STRING },
      // Feeds the Object Lock archive (lib/audit-archive.ts); old images reveal an overwrite.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
    this.auditTable.addGlobalSecondaryIndex({
      indexName: AUDIT_BY_PERSON_INDEX,
      partitionKey: { name: 'personId', type: AttributeType.STRING },
      sortKey: { name: 'entryId', type: AttributeType.STRING },
    });
    // Sparse, keys only: a termination's plan per leaver, by month and shard, so an evidence report
    // of a period is a few Queries, not a Scan (lambdas/core/report/leaver-index.ts).
    this.auditTable.addGlobalSecondaryIndex({
      indexName: LEAVER_INDEX,
      partitionKey: { name: LEAVER_INDEX_KEY, type: AttributeType.STRING },
      sortKey: { name: 'entryId', type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });

    this.stateTable = new Table(this, 'StateTable', {
      ...common,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      // Items that age out (kept notifications, NOTIFY#*) carry their end in epoch seconds.
      timeToLiveAttribute: STATE_TTL_ATTRIBUTE,
    });
  }

  /**
   * Lets a grantee add audit entries and nothing else: `dynamodb:PutItem` on the audit table
   * (entries are written with `attribute_not_exists`, so an entry is never overwritten), plus
   * `kms:Decrypt`, `kms:Encrypt`, `kms:GenerateDataKey` on the table key. No UpdateItem, no
   * DeleteItem, no BatchWriteItem: the audit log is append-only evidence.
   */
  public grantAppend(grantee: IGrantable): Grant {
    this.grantKey(grantee, true);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem'],
      resourceArns: [this.auditTable.tableArn],
    });
  }

  /**
   * Lets a grantee read the audit log: `dynamodb:GetItem`, `dynamodb:Query` on the table and
   * its `byPerson` index, plus `kms:Decrypt` on the key. For operators and the reconciler.
   */
  public grantReadAudit(grantee: IGrantable): Grant {
    this.grantKey(grantee, false);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:Query'],
      resourceArns: [this.auditTable.tableArn, `${this.auditTable.tableArn}/index/${AUDIT_BY_PERSON_INDEX}`],
    });
  }

  /**
   * Lets a grantee read evidence reports of a period: `dynamodb:Query` on the audit table's
   * `leaversByMonth` index (the leavers) and on the table (each leaver's entries), plus
   * `kms:Decrypt` on the key. For the operators' policy; no function reads reports.
   */
  public grantReadReports(grantee: IGrantable): Grant {
    this.grantKey(grantee, false);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [this.auditTable.tableArn, `${this.auditTable.tableArn}/index/${LEAVER_INDEX}`],
    });
  }

  /**
   * Lets a grantee read and write the ledger and per-target items of the state table (partition
   * keys `LEAVER#*` and `TARGET#*`): `dynamodb:GetItem`, `dynamodb:PutItem`, `dynamodb:UpdateItem`
   * (conditional updates: the revocation budget), `dynamodb:Query`, plus the key actions of
   * {@link grantAppend}. No DeleteItem: ledger entries are superseded, not removed.
   */
  public grantReadWriteState(grantee: IGrantable): Grant {
    this.grantKey(grantee, true);
    return Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
      resourceArns: [this.stateTable.tableArn],
      // The ledger and the per-target items (budget windows, account count) only: never the
      // roster or anything a later feature keeps under another key.
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LEAVER#*', 'TARGET#*'] } },
    });
  }

  /**
   * Lets a grantee run reconciliation passes on the state table, and nothing beyond the items a
   * pass owns. Reads: `dynamodb:GetItem`, `dynamodb:Query`, `dynamodb:BatchGetItem` on partition
   * keys `TARGET#*` (reconciliation state, account states, the target's leavers, budget) and
   * `ROSTER`, `ROSTER#*` (the roster). Writes: `dynamodb:PutItem`, `dynamodb:UpdateItem`,
   * `dynamodb:BatchWriteItem` on partition keys `TARGET#*` only; BatchWriteItem also deletes (a
   * pass removes the account states a target no longer lists), so deletion stays within `TARGET#`
   * items. Plus the key actions of {@link grantAppend}. No DeleteItem, no ledger or roster writes.
   */
  public grantReconcile(grantee: IGrantable): void {
    this.grantKey(grantee, true);
    this.grantState(
      grantee,
      ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
      [...PASS_KEYS, ...ROSTER_KEYS],
    );
    this.grantState(
      grantee,
      ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
      PASS_KEYS,
    );
  }

  /**
   * Lets a grantee replace the HR roster and touch nothing else of the state table:
   * `dynamodb:GetItem`, `dynamodb:Query`, `dynamodb:PutItem`, `dynamodb:BatchWriteItem` on
   * partition keys `ROSTER` (the current version's pointer) and `ROSTER#*` (chunks; superseded
   * versions are deleted through BatchWriteItem), plus the key actions of {@link grantAppend}.
   */
  public grantReplaceRoster(grantee: IGrantable): void {
    this.grantKey(grantee, true);
    this.grantState(
      grantee,
      ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem'],
      ROSTER_KEYS,
    );
  }

  /**
   * Lets a grantee keep the people's pending terminations (items `LEAVER#<person>`/`PENDING`):
   * `dynamodb:GetItem`, `dynamodb:PutItem` (conditional on the version read) on partition keys
   * `LEAVER#*` only, plus the key actions of {@link grantAppend}. For ingest: no Query, no
   * UpdateItem, no budget or per-target items.
   */
  public grantPendingTerminations(grantee: IGrantable): void {
    this.grantKey(grantee, true);
    this.grantState(grantee, ['dynamodb:GetItem', 'dynamodb:PutItem'], ['LEAVER#*']);
  }

  /**
   * Lets a grantee take the targets' shared rate budgets (one item per target, `RATE#<target>`):
   * `dynamodb:UpdateItem` (the conditional writes that take a slot, pause or slow the pace) and
   * `dynamodb:GetItem` (read after a refused write) on partition keys `RATE#*` only, plus the key
   * actions of {@link grantAppend}. For every caller of a target: lane worker, reconciler, canary,
   * rotation.
   */
  public grantRateBudgets(grantee: IGrantable): void {
    this.grantKey(grantee, true);
    this.grantState(grantee, ['dynamodb:GetItem', 'dynamodb:UpdateItem'], ['RATE#*']);
  }

  /** Sets `STATE_TABLE` in the function's environment and grants {@link grantRateBudgets}. */
  public bindRateBudgets(fn: BindableFunction): void {
    fn.addEnvironment('STATE_TABLE', this.stateTable.tableName);
    this.grantRateBudgets(fn);
  }

  /** Sets `STATE_TABLE` in the function's environment and grants {@link grantPendingTerminations}. */
  public bindPendingTerminations(fn: BindableFunction): void {
    fn.addEnvironment('STATE_TABLE', this.stateTable.tableName);
    this.grantPendingTerminations(fn);
  }

  /** Sets `AUDIT_TABLE` in the function's environment and grants {@link grantAppend}. */
  public bindAppend(fn: BindableFunction): void {
    fn.addEnvironment('AUDIT_TABLE', this.auditTable.tableName);
    this.grantAppend(fn);
  }

  /** Sets `STATE_TABLE` in the function's environment and grants {@link grantReadWriteState}. */
  public bindState(fn: BindableFunction): void {
    fn.addEnvironment('STATE_TABLE', this.stateTable.tableName);
    this.grantReadWriteState(fn);
  }

  /**
   * Lets a grantee add an operator's approved burst to a target's blast-radius window (items
   * `TARGET#<target>`/`WINDOW#…`): `dynamodb:UpdateItem` on partition keys `TARGET#*` only, plus the
   * key actions of {@link grantAppend}. For the operator function.
   */
  public grantApproveBursts(grantee: IGrantable): void {
    this.grantKey(grantee, true);
    this.grantState(grantee, ['dynamodb:UpdateItem'], ['TARGET#*']);
  }

  /**
   * Lets a grantee keep the notifications it sends (items `NOTIFY#<day>`, read by `scimitar
   * alarms`): `dynamodb:PutItem` on partition keys `NOTIFY#*` only, plus the key actions of
   * {@link grantAppend}.
   */
  public grantRecordNotifications(grantee: IGrantable): void {
    this.grantKey(grantee, true);
    this.grantState(grantee, ['dynamodb:PutItem'], ['NOTIFY#*']);
  }

  /** Sets `STATE_TABLE` in the function's environment and grants {@link grantRecordNotifications}. */
  public bindRecordNotifications(fn: BindableFunction): void {
    fn.addEnvironment('STATE_TABLE', this.stateTable.tableName);
    this.grantRecordNotifications(fn);
  }

  /**
   * Lets a grantee keep the Workday polls' cursors (items `PULL#<source>`/`CURSOR`):
   * `dynamodb:GetItem`, `dynamodb:PutItem` (conditional on the version read) on partition keys
   * `PULL#*` only, plus the key actions of {@link grantAppend}. For the pull function.
   */
  public grantPollCursors(grantee: IGrantable): void {
    this.grantKey(grantee, true);
    this.grantState(grantee, ['dynamodb:GetItem', 'dynamodb:PutItem'], ['PULL#*']);
  }

  /** Actions on the state table, for items whose partition key matches one of the patterns. */
  private grantState(grantee: IGrantable, actions: string[], leadingKeys: readonly string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions,
        resources: [this.stateTable.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] } },
      }),
    );
  }

  private grantKey(grantee: IGrantable, write: boolean): void {
    const actions = write ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'];
    this.encryptionKey.grant(grantee, ...actions);
  }
}
