// The AWS APIs the local runtime answers in process, one small table of operations per service:
// CloudFormation's DescribeStacks (the stack's outputs, local), CloudWatch's DescribeAlarms (the
// template's alarms in their local state), Step Functions' executions, STS's caller.
import { randomUUID } from 'node:crypto';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalStack, resolveIntrinsics } from '../../lib/asl.ts';
import type { LocalWorkflow } from '../workflow.ts';
import { generatedName, localOutputs, type OutputContext } from './names.ts';
import { AwsApiError, epochSeconds } from './protocol.ts';

/** One operation: its input (JSON, or a Query request's parameters) → its result. */
export type Operation<I> = (input: I) => Promise<unknown> | unknown;

/** CloudFormation: DescribeStacks answers the hosted stack, its outputs with local names. */
export function cloudFormationOperations(p: {
  readonly stack: Pick<LocalStack, 'templates' | 'functions'>;
  readonly stackName: string;
  readonly startedAt: Date;
  readonly outputs: () => OutputContext;
}): Record<string, Operation<URLSearchParams>> {
  const stackId = `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/${p.stackName}/local`;
  return {
    DescribeStacks: (params) => {
      const asked = params.get('StackName');
      if (asked && asked !== p.stackName && asked !== stackId)
        throw new AwsApiError('ValidationError', `Stack with id ${asked} does not exist`);
      return {
        Stacks: [
          {
            StackId: stackId,
            StackName: p.stackName,
            CreationTime: p.startedAt,
            StackStatus: 'CREATE_COMPLETE',
            Outputs: localOutputs(p.stack, p.outputs()),
          },
        ],
      };
    },
  };
}

/** STS: the local caller (arn:aws:iam::000000000000:user/<$USER, or "local">). */
export function stsOperations(): Record<string, Operation<URLSearchParams>> {
  return {
    GetCallerIdentity: () => ({
      Arn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/${process.env.USER || 'local'}`,
      UserId: 'local',
      Account: LOCAL_ACCOUNT,
    }),
  };
}

/** An alarm's local state; undefined for an alarm the runtime does not evaluate. */
export interface LocalAlarmState {
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly reason: string;
  readonly updatedAt: Date;
}

/** CloudWatch: DescribeAlarms lists every alarm of the templates (root and lane shards). */
export function cloudWatchOperations(p: {
  readonly stack: Pick<LocalStack, 'templates'>;
  readonly stackName: string;
  readonly startedAt: Date;
  readonly stateOf: (logicalId: string) => LocalAlarmState | undefined;
}): Record<string, Operation<Record<string, unknown>>> {
  const alarms = p.stack.templates.flatMap((source) =>
    Object.entries(source.template.Resources)
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
      .map(([logicalId, r]) => {
        let props: Record<string, unknown>;
        try {
          props = resolveIntrinsics(r.Properties ?? {}, source.template, source.parameters) as Record<
            string,
            unknown
          >;
        } catch {
          props = {};
        }
        const name =
          typeof props.AlarmName === 'string' ? props.AlarmName : generatedName(p.stackName, logicalId);
        return { logicalId, name, props };
      }),
  );
  return {
    DescribeAlarms: (input) => {
      const names = input.AlarmNames as string[] | undefined;
      const prefix = input.AlarmNamePrefix as string | undefined;
      const wanted = input.StateValue as string | undefined;
      const types = input.AlarmTypes as string[] | undefined;
      if (types && !types.includes('MetricAlarm')) return { MetricAlarms: [], CompositeAlarms: [] };
      const metricAlarms = alarms
        .filter((a) => (!names?.length || names.includes(a.name)) && (!prefix || a.name.startsWith(prefix)))
        .map((a) => {
          const local = p.stateOf(a.logicalId) ?? {
            state: 'INSUFFICIENT_DATA' as const,
            reason:
              'not evaluated by the local runtime: its metric, or the absence it watches, exists only on AWS',
            updatedAt: p.startedAt,
          };
          const { props } = a;
          return {
            AlarmName: a.name,
            AlarmArn: `arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${a.name}`,
            AlarmDescription: props.AlarmDescription,
            ActionsEnabled: props.ActionsEnabled ?? true,
            AlarmActions: props.AlarmActions ?? [],
            OKActions: props.OKActions ?? [],
            StateValue: local.state,
            StateReason: local.reason,
            StateUpdatedTimestamp: epochSeconds(local.updatedAt),
            MetricName: props.MetricName,
            Namespace: props.Namespace,
            Statistic: props.Statistic,
            Dimensions: props.Dimensions,
            Period: props.Period,
            EvaluationPeriods: props.EvaluationPeriods,
            DatapointsToAlarm: props.DatapointsToAlarm,
            Threshold: props.Threshold,
            ComparisonOperator: props.ComparisonOperator,
            TreatMissingData: props.TreatMissingData,
          };
        })
        .filter((a) => !wanted || a.StateValue === wanted);
      const start = Number(input.NextToken ?? 0);
      const max = Number(input.MaxRecords ?? 50);
      const page = metricAlarms.slice(start, start + max);
      return {
        MetricAlarms: page,
        CompositeAlarms: [],
        ...(start + max < metricAlarms.length ? { NextToken: String(start + max) } : {}),
      };
    },
  };
}

/** Step Functions: the local workflow's executions. */
export function statesOperations(p: {
  readonly workflow: LocalWorkflow;
  readonly stateMachineArn: string;
}): Record<string, Operation<Record<string, unknown>>> {
  const { workflow, stateMachineArn } = p;
  const machine = (arn: unknown) => {
    if (arn !== stateMachineArn)
      throw new AwsApiError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${String(arn)}' (the local runtime hosts ${stateMachineArn})`,
      );
  };
  const summary = (e: LocalWorkflow['executions'] extends Map<string, infer R> ? R : never) => ({
    executionArn: e.executionArn,
    stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: epochSeconds(e.startedAt),
    ...(e.stoppedAt ? { stopDate: epochSeconds(e.stoppedAt) } : {}),
  });
  return {
    StartExecution: async (input) => {
      machine(input.stateMachineArn);
      const name = typeof input.name === 'string' && input.name ? input.name : randomUUID();
      let parsed: unknown = {};
      try {
        parsed = JSON.parse(typeof input.input === 'string' ? input.input : '{}');
      } catch {
        throw new AwsApiError(
          'InvalidExecutionInput',
          'Invalid State Machine Execution Input: the input is not JSON',
        );
      }
      const existing = workflow.executions.get(name);
      if (existing && JSON.stringify(existing.input) !== JSON.stringify(parsed))
        throw new AwsApiError(
          'ExecutionAlreadyExists',
          `Execution Already Exists: '${existing.executionArn}'`,
        );
      const started = await workflow.start(name, parsed);
      const record = workflow.executions.get(name);
      return { executionArn: started.executionArn, startDate: epochSeconds(record?.startedAt ?? new Date()) };
    },
    DescribeExecution: (input) => {
      const arn = String(input.executionArn ?? '');
      const e = [...workflow.executions.values()].find((x) => x.executionArn === arn);
      if (!e) throw new AwsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
      return {
        ...summary(e),
        input: JSON.stringify(e.input ?? {}),
        ...(e.output !== undefined ? { output: JSON.stringify(e.output) } : {}),
        ...(e.error ? { error: e.error } : {}),
        ...(e.cause ? { cause: e.cause } : {}),
      };
    },
    ListExecutions: (input) => {
      machine(input.stateMachineArn);
      const filter = input.statusFilter as string | undefined;
      const all = [...workflow.executions.values()]
        .filter((e) => !filter || e.status === filter)
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
        .map(summary);
      const start = Number(input.nextToken ?? 0);
      const max = Number(input.maxResults || 100);
      return {
        executions: all.slice(start, start + max),
        ...(start + max < all.length ? { nextToken: String(start + max) } : {}),
      };
    },
  };
}
