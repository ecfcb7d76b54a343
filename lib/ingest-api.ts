// The front door: HRIS webhooks POST to /events/{source}; the ingest function verifies the
// source's signature on the raw body, audits RECEIVED and starts one workflow execution per event.
// The HRIS export job POSTs the roster to /roster, signed with SigV4 (AWS_IAM authorization).
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  Model,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { MathExpression, Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import { INGEST_METRICS, type RefusalCause } from '../lambdas/core/model/metrics.ts';
import type { AuditStore } from './audit-store.ts';
import { METRICS_NAMESPACE, ScimitarFunction, serviceName } from './scimitar-function.ts';
import type { TerminationSchedules } from './termination-schedules.ts';
import type { TokenVault } from './token-vault.ts';
import type { Workflow } from './workflow.ts';

/**
 * Largest event body the ingest function accepts (it answers 413 above it). API Gateway REST
 * APIs have only a fixed 10 MB limit; HRIS events are a few KB.
 */
export const MAX_EVENT_BYTES = 256 * 1024;

export interface IngestApiProps {
  /** The validated config, inlined in the ingest bundle (sources and their schemes). */
  readonly config: ScimitarConfig;
  /** The workflow whose executions ingest starts, and no other. */
  readonly workflow: Workflow;
  /** Audit log: ingest appends RECEIVED. */
  readonly auditStore: AuditStore;
  /** Holds the sources' signing keys; ingest may read those and no target credential. */
  readonly vault: TokenVault;
  /** Where ingest schedules each termination for its effective time (its group and role only). */
  readonly schedules: TerminationSchedules;
  /** Where ingest tells owners that a revocation already started was rescinded, or a revoked person rehired. */
  readonly ownerTopic: ITopic;
  /** Steady requests per second the stage accepts. @default 20 */
  readonly throttlingRateLimit?: number;
  /** Requests the stage accepts in a burst. @default 40 */
  readonly throttlingBurstLimit?: number;
  /** @default RetentionDays.ONE_YEAR */
  readonly accessLogRetention?: RetentionDays;
  /** Stage name, the first path segment of the URL. @default 'v1' */
  readonly stageName?: string;
  /**
   * The roster upload function (Reconciler's `rosterUploadFunction`), served as `POST /roster`
   * with AWS_IAM authorization: callers sign with SigV4 and need `execute-api:Invoke` on the
   * route ({@link IngestApi.grantUploadRoster}).
   * @default - no /roster route
   */
  readonly rosterUpload?: IFunction;
}

export class IngestApi extends Construct {
  public readonly api: RestApi;
  public readonly ingestFunction: ScimitarFunction;
  public readonly accessLogGroup: LogGroup;
  /** `GET /events/{source}`: Okta's event hook verification. @default - undefined without an okta-event-hook source */
  public readonly verificationMethod?: Method;
  /** `POST /roster`, IAM-authorised. @default - undefined without `rosterUpload` */
  public readonly rosterMethod?: Method;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const rate = props.throttlingRateLimit ?? 20;
    const burst = props.throttlingBurstLimit ?? 40;
    if (!(rate > 0) || !Number.isInteger(burst) || burst < 1) {
      throw new Error(
        `IngestApi ${id}: throttling must be positive (got rate ${rate}/s, burst ${burst}); an unthrottled webhook endpoint invites floods`,
      );
    }
    if (burst < rate) {
      throw new Error(
        `IngestApi ${id}: throttlingBurstLimit ${burst} must be at least throttlingRateLimit ${rate}`,
      );
    }

    this.ingestFunction = new ScimitarFunction(this, 'IngestFunction', {
      entry: 'ingest',
      config: props.config,
      description: 'scimitar ingest: verify the HRIS signature, audit RECEIVED, start the workflow',
      timeout: Duration.seconds(10),
      environment: {
        STATE_MACHINE_ARN: props.workflow.stateMachine.stateMachineArn,
        OWNER_TOPIC_ARN: props.ownerTopic.topicArn,
      },
    });
    props.workflow.grantStartExecution(this.ingestFunction);
    // The person's pending termination (read, conditional put) and its one-time schedule.
    props.auditStore.bindPendingTerminations(this.ingestFunction);
    props.schedules.bind(this.ingestFunction);
    props.ownerTopic.grantPublish(this.ingestFunction);
    if (this.ingestFunction.role) {
      Validations.of(this.ingestFunction.role).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason:
          'SNS documents kms:GenerateDataKey* with kms:Decrypt for publishers to an encrypted topic; the statement names the one topic key.',
      });
    }
    props.auditStore.bindAppend(this.ingestFunction);
    // A repeated delivery is recognised by the event's earlier RECEIVED entry (a Query).
    props.auditStore.grantReadAudit(this.ingestFunction);
    props.vault.grantReadSourceSecrets(this.ingestFunction);

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.api = new RestApi(this, 'Api', {
      // API Gateway's metrics are keyed on the API name: a name of this stack's own keeps its
      // alarms off any other API in the account (stack names are unique per account and region).
      restApiName: `${Stack.of(this).stackName}-ingest`,
      description: 'scimitar: HRIS lifecycle events and the roster in',
      endpointTypes: [EndpointType.REGIONAL],
      // Execution logs need the account's API Gateway CloudWatch role; keep it if the stack goes.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName ?? 'v1',
        throttlingRateLimit: rate,
        throttlingBurstLimit: burst,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request bodies carry personal data and signatures: never in the execution logs.
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
      },
    });

    // Refused before the function runs: a request without a source, or a JSON body that is not
    // an object. The body itself is passed through unchanged, so the signature still matches it.
    const validator = new RequestValidator(this, 'RequestValidator', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const eventBody = new Model(this, 'EventBodyModel', {
      restApi: this.api,
      contentType: 'application/json',
      description: 'Any HRIS event: a JSON object (each source scheme is parsed by the ingest function)',
      schema: { schema: JsonSchemaVersion.DRAFT4, type: JsonSchemaType.OBJECT },
    });
    const events = this.api.root.addResource('events').addResource('{source}');
    const method = events.addMethod('POST', new LambdaIntegration(this.ingestFunction, { proxy: true }), {
      requestValidator: validator,
      requestParameters: { 'method.request.path.source': true },
      requestModels: { 'application/json': eventBody },
    });

    // Okta verifies an event hook once with a GET carrying X-Okta-Verification-Challenge; the
    // ingest function answers it (docs/ingest.md). Only a stack with an okta-event-hook source has it.
    if (props.config.sources.some((s) => s.kind === 'okta-event-hook')) {
      this.verificationMethod = events.addMethod(
        'GET',
        new LambdaIntegration(this.ingestFunction, { proxy: true }),
        {
          requestValidator: validator,
          requestParameters: {
            'method.request.path.source': true,
            'method.request.header.X-Okta-Verification-Challenge': true,
          },
        },
      );
      const verification =
        "Okta's event hook verification cannot present AWS credentials or Cognito tokens; it carries the hook's shared secret header (checked when present) and only echoes a bounded challenge.";
      Validations.of(this.verificationMethod).acknowledge(
        { id: 'AwsSolutions-APIG4', reason: verification },
        { id: 'AwsSolutions-COG4', reason: verification },
      );
    }

    if (props.rosterUpload) {
      // The roster is replaced as a whole: no JSON model (CSV is allowed), the function validates
      // every row and refuses bodies over MAX_ROSTER_BYTES (lambdas/handlers/roster-upload.ts,
      // 5 MiB). API Gateway's own limit is a fixed 10 MB.
      this.rosterMethod = this.api.root
        .addResource('roster')
        .addMethod('POST', new LambdaIntegration(props.rosterUpload, { proxy: true }), {
          authorizationType: AuthorizationType.IAM,
        });
      Validations.of(this.rosterMethod).acknowledge({
        id: 'AwsSolutions-COG4',
        reason:
          'The roster is uploaded by the HRIS export job, a workload with an IAM role and no Cognito user: the route uses AWS_IAM authorization (SigV4) and only principals granted execute-api:Invoke on it may call it.',
      });
    }

    const signed =
      'HRIS webhooks cannot present AWS credentials or Cognito tokens; every request is authenticated by the HMAC signature of its source, verified by the ingest function on the raw body (replays older than toleranceSeconds are refused).';
    Validations.of(method).acknowledge(
      { id: 'AwsSolutions-APIG4', reason: signed },
      { id: 'AwsSolutions-COG4', reason: signed },
    );
    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level logging role: the AWS managed policy is the documented way to let API Gateway write execution logs.",
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF by default: requests are HMAC-authenticated and stage-throttled; attach a web ACL to the stage where policy requires one (docs/operations.md).',
      },
    );
  }

  /** The URL HRIS webhooks post to, with `{source}` as the last segment. */
  public get eventsUrl(): string {
    return this.api.urlForPath('/events/{source}');
  }

  /** The URL the HRIS export job POSTs the roster to. @default - undefined without `rosterUpload` */
  public get rosterUrl(): string | undefined {
    return this.rosterMethod ? this.api.urlForPath('/roster') : undefined;
  }

  /**
   * Lets a principal upload the roster: `execute-api:Invoke` on `POST /roster` of this stage only.
   * Throws when the API has no /roster route.
   */
  public grantUploadRoster(grantee: IGrantable): Grant {
    if (!this.rosterMethod) {
      throw new Error(`IngestApi ${this.node.id}: no /roster route; pass rosterUpload to create it`);
    }
    return this.rosterMethod.grantExecute(grantee);
  }

  /** 5XX answers (sum over 5 minutes). */
  public metricServerErrors(options?: MetricOptions): Metric {
    return this.api.metricServerError({ statistic: 'Sum', period: Duration.minutes(5), ...options });
  }

  /** 4XX answers: bad signatures, unknown sources, refused rosters, throttling (sum over 5 minutes). */
  public metricClientErrors(options?: MetricOptions): Metric {
    return this.api.metricClientError({ statistic: 'Sum', period: Duration.minutes(5), ...options });
  }

  /**
   * Deliveries the ingest function refused for one cause (sum over 5 minutes): the function
   * publishes `DeliveryRefused` with exactly the dimensions {service, cause}.
   */
  public metricDeliveriesRefused(cause: RefusalCause, options?: MetricOptions): Metric {
    return this.ingestMetric(INGEST_METRICS.refused, { cause }, options);
  }

  /** Deliveries answered 202 (sum per day): the HRIS is connected and signing with the right key. */
  public metricDeliveriesAccepted(options?: MetricOptions): Metric {
    return this.ingestMetric(INGEST_METRICS.accepted, {}, { period: Duration.days(1), ...options });
  }

  /**
   * Roster uploads that succeeded (2XX): requests to `POST /roster` less its 4XX and 5XX answers,
   * from API Gateway's per-method metrics (sum per hour). Throws when the API has no /roster route.
   */
  public metricRosterUploads(options?: { period?: Duration }): MathExpression {
    if (!this.rosterMethod) {
      throw new Error(`IngestApi ${this.node.id}: no /roster route; pass rosterUpload to create it`);
    }
    const period = options?.period ?? Duration.hours(1);
    const method = (metricName: string) =>
      new Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: {
          ApiName: this.api.restApiName,
          Stage: this.api.deploymentStage.stageName,
          Resource: '/roster',
          Method: 'POST',
        },
        statistic: 'Sum',
        period,
      });
    return new MathExpression({
      expression: 'FILL(requests, 0) - FILL(clientErrors, 0) - FILL(serverErrors, 0)',
      usingMetrics: {
        requests: method('Count'),
        clientErrors: method('4XXError'),
        serverErrors: method('5XXError'),
      },
      period,
      label: 'roster uploads accepted',
    });
  }

  private ingestMetric(
    metricName: string,
    dimensions: Record<string, string>,
    options?: MetricOptions,
  ): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: serviceName(this.ingestFunction.entryName), ...dimensions },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...options,
    });
  }

  /** Requests (sum over 5 minutes). */
  public metricRequests(options?: MetricOptions): Metric {
    return this.api.metricCount({ statistic: 'Sum', period: Duration.minutes(5), ...options });
  }
}
