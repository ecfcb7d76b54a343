// A small IAM identity-policy evaluator for the statement shapes scimitar's stack synthesizes:
// Allow and Deny; Action, NotAction, Resource and NotResource with `*` and `?` wildcards; and
// string and ARN conditions, single-valued or with ForAllValues/ForAnyValue, and IfExists.
// Condition keys the caller supplies (e.g. dynamodb:LeadingKeys) are evaluated; a statement with
// any other key or operator is reported as not evaluated and never allows a call (a Deny with one
// is taken to apply): a proof that cannot evaluate a condition fails rather than guesses.
// Why not a simulator from npm: the maintained one (@cloud-copilot/iam-simulate) is AGPL-3.0.

export type Strings = string | readonly string[];

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: Strings;
  readonly NotAction?: Strings;
  readonly Resource?: Strings;
  readonly NotResource?: Strings;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, Strings>>>>;
}

export interface AccessRequest {
  /** IAM form: `dynamodb:PutItem`. */
  readonly action: string;
  /** The ARN the call names (`*` for actions without a resource). */
  readonly resource: string;
  /** Condition keys of the request and their values, e.g. `dynamodb:LeadingKeys`. */
  readonly context?: Readonly<Record<string, readonly string[]>>;
}

/** Why a statement does or does not apply to a request. */
export interface StatementMatch {
  readonly statement: PolicyStatement;
  readonly index: number;
  readonly action: boolean;
  readonly resource: boolean;
  /** Every condition holds (vacuously true without conditions). */
  readonly conditions: boolean;
  /** Condition operators or keys this evaluator could not evaluate. */
  readonly notEvaluated: readonly string[];
  /** What did not match, in words. */
  readonly reasons: readonly string[];
}

export interface Decision {
  readonly decision: 'allow' | 'explicit-deny' | 'implicit-deny';
  /** The statement that decided (the Allow or the Deny). */
  readonly by?: StatementMatch;
  /** For a call not allowed: the Allow statement that comes closest to allowing it. */
  readonly closest?: StatementMatch;
}

/** Conditions the evaluator knows; anything else is reported as not evaluated. */
export const EVALUATED_CONDITION_KEYS: readonly string[] = [
  'dynamodb:LeadingKeys',
  'secretsmanager:ResourceTag/*',
];

function evaluatedKey(key: string): boolean {
  return EVALUATED_CONDITION_KEYS.some((k) => wildcardMatch(k, key));
}

const list = (value: Strings | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

/** IAM wildcard match: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  // Action names are case-insensitive in IAM.
  if (statement.NotAction !== undefined)
    return !list(statement.NotAction).some((p) => wildcardMatch(p, action, true));
  return list(statement.Action).some((p) => wildcardMatch(p, action, true));
}

function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  if (statement.NotResource !== undefined)
    return !list(statement.NotResource).some((p) => wildcardMatch(p, resource));
  return list(statement.Resource).some((p) => wildcardMatch(p, resource));
}

type ValueTest = (policyValue: string, requestValue: string) => boolean;
const OPERATORS: Record<string, { test: ValueTest; negated: boolean }> = {
  StringEquals: { test: (p, v) => p === v, negated: false },
  StringNotEquals: { test: (p, v) => p === v, negated: true },
  StringEqualsIgnoreCase: { test: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { test: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: true },
  StringLike: { test: (p, v) => wildcardMatch(p, v), negated: false },
  StringNotLike: { test: (p, v) => wildcardMatch(p, v), negated: true },
  ArnEquals: { test: (p, v) => p === v, negated: false },
  ArnNotEquals: { test: (p, v) => p === v, negated: true },
  ArnLike: { test: (p, v) => wildcardMatch(p, v), negated: false },
  ArnNotLike: { test: (p, v) => wildcardMatch(p, v), negated: true },
  Bool: { test: (p, v) => p.toLowerCase() === v.toLowerCase(), negated: false },
};

/** One operator/key pair of a Condition block, by IAM's rules for present and absent keys. */
function conditionHolds(
  qualifiedOperator: string,
  key: string,
  policyValues: readonly string[],
  context: Readonly<Record<string, readonly string[]>>,
): boolean | 'not-evaluated' {
  const [, set, bare = ''] = qualifiedOperator.match(/^(?:(ForAllValues|ForAnyValue):)?(.+)$/) ?? [];
  const ifExists = bare.endsWith('IfExists');
  if (!evaluatedKey(key)) return 'not-evaluated';
  const values = context[key];
  // Null: "true" holds when the key is absent, "false" when it is present.
  if (bare === 'Null' && !set)
    return policyValues.every(
      (p) => (p.toLowerCase() === 'true') === (values === undefined || values.length === 0),
    );
  const operator = OPERATORS[ifExists ? bare.slice(0, -'IfExists'.length) : bare];
  if (!operator) return 'not-evaluated';
  const matchesAny = (v: string) => policyValues.some((p) => operator.test(p, v));
  if (set === 'ForAllValues') {
    // Vacuously true for an absent or empty key, as in IAM.
    return (values ?? []).every((v) => (operator.negated ? !matchesAny(v) : matchesAny(v)));
  }
  if (set === 'ForAnyValue') {
    return (values ?? []).some((v) => (operator.negated ? !matchesAny(v) : matchesAny(v)));
  }
  if (values === undefined || values.length === 0) return ifExists || operator.negated;
  return values.every((v) => (operator.negated ? !matchesAny(v) : matchesAny(v)));
}

export function matchStatement(
  statement: PolicyStatement,
  index: number,
  request: AccessRequest,
): StatementMatch {
  const reasons: string[] = [];
  const notEvaluated: string[] = [];
  const action = actionMatches(statement, request.action);
  if (!action)
    reasons.push(
      statement.NotAction !== undefined
        ? `${request.action} is excluded by NotAction [${list(statement.NotAction).join(', ')}]`
        : `action ${request.action} is not in [${list(statement.Action).join(', ')}]`,
    );
  const resource = resourceMatches(statement, request.resource);
  if (!resource)
    reasons.push(
      statement.NotResource !== undefined
        ? `resource ${request.resource} is excluded by NotResource [${list(statement.NotResource).join(', ')}]`
        : `resource ${request.resource} is not in [${list(statement.Resource).join(', ')}]`,
    );
  let conditions = true;
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, values] of Object.entries(keys)) {
      const holds = conditionHolds(operator, key, list(values), request.context ?? {});
      if (holds === 'not-evaluated') {
        notEvaluated.push(`${operator} ${key}`);
        conditions = false;
        reasons.push(`condition ${operator} ${key} is not evaluated by this evaluator`);
      } else if (!holds) {
        conditions = false;
        reasons.push(
          `condition ${operator} ${key} [${list(values).join(', ')}] does not hold for [${(request.context?.[key] ?? []).join(', ')}]`,
        );
      }
    }
  }
  return { statement, index, action, resource, conditions, notEvaluated, reasons };
}

/** IAM's order: an explicit Deny wins, then any Allow; otherwise the call is implicitly denied. */
export function evaluate(statements: readonly PolicyStatement[], request: AccessRequest): Decision {
  const matches = statements.map((s, i) => matchStatement(s, i, request));
  const applies = (m: StatementMatch) => m.action && m.resource && m.conditions;
  // A Deny whose condition cannot be evaluated is taken to apply: the proof must not pass by guessing.
  const deny = matches.find(
    (m) =>
      m.statement.Effect === 'Deny' && m.action && m.resource && (m.conditions || m.notEvaluated.length > 0),
  );
  if (deny) return { decision: 'explicit-deny', by: deny };
  const allow = matches.find((m) => m.statement.Effect === 'Allow' && applies(m));
  if (allow) return { decision: 'allow', by: allow };
  const service = request.action.split(':')[0]?.toLowerCase();
  const sameService = (m: StatementMatch) =>
    list(m.statement.Action).some((a) => a.split(':')[0]?.toLowerCase() === service);
  const score = (m: StatementMatch) =>
    (m.action ? 8 : 0) + (sameService(m) ? 4 : 0) + (m.resource ? 2 : 0) + (m.conditions ? 1 : 0);
  const closest = matches
    .filter((m) => m.statement.Effect === 'Allow')
    .reduce<StatementMatch | undefined>((best, m) => (!best || score(m) > score(best) ? m : best), undefined);
  return { decision: 'implicit-deny', ...(closest ? { closest } : {}) };
}
