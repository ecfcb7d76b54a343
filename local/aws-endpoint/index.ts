// The local runtime's AWS endpoint: on the runtime's HTTP port, a request signed with SigV4 is an
// AWS API call, routed by the service its credential scope names. DynamoDB and SQS go to the
// emulators the runtime runs (dynalite, fauxqs); CloudFormation, Lambda, CloudWatch, Step
// Functions and STS are answered in process from the hosted stack. So a client built for AWS
// (the CLI's --stack path) runs unchanged against the runtime, its endpoint overridden.
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { LocalStack } from '../../lib/asl.ts';
import { readBody } from '../api-gateway.ts';
import type { LocalTopology } from '../topology.ts';
import type { LocalWorkflow } from '../workflow.ts';
import type { HostedFunctions } from './hosted-functions.ts';
import { localResources, localStateMachineArn } from './names.ts';
import {
  AwsApiError,
  jsonInput,
  jsonOperation,
  queryParameters,
  type SignedBy,
  signedBy,
  writeAwsJson,
  writeAwsJsonError,
  writeQueryError,
  writeQueryResult,
} from './protocol.ts';
import {
  cloudFormationOperations,
  cloudWatchOperations,
  type LocalAlarmState,
  type Operation,
  statesOperations,
  stsOperations,
} from './services.ts';

export { HostedFunctions, type HostedHandler } from './hosted-functions.ts';
export type { LocalAlarmState } from './services.ts';

export interface LocalAwsEndpointProps {
  readonly stack: Pick<LocalStack, 'templates' | 'functions'>;
  readonly topology: Pick<LocalTopology, 'tables' | 'stateMachines'>;
  readonly stackName: string;
  /** dynalite's URL. */
  readonly dynamoEndpoint: string;
  /** fauxqs's URL. */
  readonly sqsEndpoint: string;
  /** The ARN prefix of fauxqs's queues (`arn:aws:sqs:<region>:<account>:`). */
  readonly queueArnPrefix: string;
  readonly functions: HostedFunctions;
  readonly workflow: LocalWorkflow;
  /** An alarm's local state by its logical id; undefined: not evaluated locally. */
  readonly alarmState: (logicalId: string) => LocalAlarmState | undefined;
  /** The one access key the runtime grants; any other caller is refused every action. */
  readonly accessKeyId: string;
}

export interface LocalAwsEndpoint {
  /** Whether a request is an AWS API call (SigV4-signed) for this endpoint. */
  handles(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** IAM's prefix of a service its signing name names. */
const IAM_PREFIX: Record<string, string> = { monitoring: 'cloudwatch' };
const CFN_XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
const STS_XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

export function localAwsEndpoint(props: LocalAwsEndpointProps): LocalAwsEndpoint {
  const startedAt = new Date();
  const resources = localResources(props.stack, props.topology, props.stackName);
  const stateMachineArn = localStateMachineArn(props.stackName);
  const query: Record<string, { xmlns: string; operations: Record<string, Operation<URLSearchParams>> }> = {
    cloudformation: {
      xmlns: CFN_XMLNS,
      operations: cloudFormationOperations({
        stack: props.stack,
        stackName: props.stackName,
        startedAt,
        outputs: () => outputContext,
      }),
    },
    sts: { xmlns: STS_XMLNS, operations: stsOperations() },
  };
  const json: Record<string, Record<string, Operation<Record<string, unknown>>>> = {
    monitoring: cloudWatchOperations({
      stack: props.stack,
      stackName: props.stackName,
      startedAt,
      stateOf: props.alarmState,
    }),
    states: statesOperations({ workflow: props.workflow, stateMachineArn }),
  };
  const proxied: Record<string, string> = { dynamodb: props.dynamoEndpoint, sqs: props.sqsEndpoint };
  // Set per request: queue URLs name the host the caller reached the runtime on.
  let outputContext = { resources, queueUrlPrefix: '', queueArnPrefix: props.queueArnPrefix };

  // As each protocol refuses: Query `AccessDenied` (403), JSON `AccessDeniedException` (400; Lambda's REST-JSON 403).
  const refusal = (caller: SignedBy, operation: string) =>
    new AwsApiError(
      caller.service in query ? 'AccessDenied' : 'AccessDeniedException',
      `User: arn:aws:iam::000000000000:user/${caller.accessKeyId} is not authorized to perform: ${IAM_PREFIX[caller.service] ?? caller.service}:${operation} because no identity-based policy allows it (the local runtime grants only the access key "${props.accessKeyId}")`,
      caller.service in json || caller.service in proxied ? 400 : 403,
    );

  async function answerQuery(req: IncomingMessage, res: ServerResponse, caller: SignedBy): Promise<void> {
    const service = query[caller.service];
    if (!service) return;
    try {
      const params = queryParameters(await readBody(req));
      const action = params.get('Action') ?? '';
      if (caller.accessKeyId !== props.accessKeyId) throw refusal(caller, action);
      const operation = service.operations[action];
      if (!operation)
        throw new AwsApiError(
          'InvalidAction',
          `the local runtime does not answer ${caller.service} ${action}`,
        );
      writeQueryResult(res, action, service.xmlns, await operation(params));
    } catch (err) {
      writeQueryError(res, service.xmlns, asAwsError(err));
    }
  }

  async function answerJson(req: IncomingMessage, res: ServerResponse, caller: SignedBy): Promise<void> {
    try {
      const operationName = jsonOperation(req);
      if (caller.accessKeyId !== props.accessKeyId) throw refusal(caller, operationName);
      const operation = json[caller.service]?.[operationName];
      if (!operation)
        throw new AwsApiError(
          'UnknownOperationException',
          `the local runtime does not answer ${caller.service} ${operationName}`,
        );
      writeAwsJson(res, await operation(jsonInput(await readBody(req))));
    } catch (err) {
      writeAwsJsonError(res, asAwsError(err));
    }
  }

  async function answerLambda(req: IncomingMessage, res: ServerResponse, caller: SignedBy): Promise<void> {
    try {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const invoke = path.match(INVOKE_PATH);
      if (caller.accessKeyId !== props.accessKeyId) throw refusal(caller, invoke ? 'InvokeFunction' : path);
      if (!invoke || req.method !== 'POST')
        throw new AwsApiError(
          'UnknownOperationException',
          `the local runtime answers only Lambda's Invoke, not ${req.method} ${path}`,
        );
      const handler = props.functions.resolve(decodeURIComponent(invoke[1] ?? ''));
      const body = (await readBody(req)).toString('utf8');
      let payload: unknown;
      try {
        payload = body ? JSON.parse(body) : {};
      } catch {
        throw new AwsApiError(
          'InvalidRequestContentException',
          'Could not parse request body into json',
          400,
        );
      }
      if (String(req.headers['x-amz-invocation-type'] ?? '') === 'Event') {
        void handler(payload).catch(() => {}); // as Lambda: an asynchronous invocation's error is the function's
        res.writeHead(202, { 'content-length': '0' });
        res.end();
        return;
      }
      let answer: string;
      let functionError = false;
      try {
        answer = JSON.stringify((await handler(payload)) ?? null);
      } catch (err) {
        functionError = true;
        const e = err instanceof Error ? err : new Error(String(err));
        answer = JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] });
      }
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-amz-executed-version': '$LATEST',
        ...(functionError ? { 'x-amz-function-error': 'Unhandled' } : {}),
        'content-length': String(Buffer.byteLength(answer)),
      });
      res.end(answer);
    } catch (err) {
      writeAwsJsonError(res, asAwsError(err));
    }
  }

  async function proxy(
    req: IncomingMessage,
    res: ServerResponse,
    caller: SignedBy,
    to: string,
  ): Promise<void> {
    if (caller.accessKeyId !== props.accessKeyId) {
      writeAwsJsonError(res, refusal(caller, jsonOperation(req)));
      req.resume();
      return;
    }
    const target = new URL(to);
    await new Promise<void>((done) => {
      const forward = httpRequest(
        {
          host: target.hostname === '0.0.0.0' ? '127.0.0.1' : target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', done);
          answer.on('error', done);
        },
      );
      forward.on('error', (err) => {
        writeAwsJsonError(
          res,
          new AwsApiError(
            'ServiceUnavailable',
            `the local ${caller.service} emulator did not answer: ${err.message}`,
            503,
          ),
        );
        done();
      });
      req.pipe(forward);
    });
  }

  return {
    handles: (req) => signedBy(req) !== undefined,
    handle: async (req, res) => {
      const caller = signedBy(req);
      if (!caller) return;
      outputContext = {
        ...outputContext,
        queueUrlPrefix: `http://${req.headers.host ?? '127.0.0.1'}/000000000000/`,
      };
      const to = proxied[caller.service];
      if (to) return proxy(req, res, caller, to);
      if (caller.service in query) return answerQuery(req, res, caller);
      if (caller.service in json) return answerJson(req, res, caller);
      if (caller.service === 'lambda') return answerLambda(req, res, caller);
      req.resume();
      writeAwsJsonError(
        res,
        new AwsApiError(
          'UnknownServiceException',
          `the local runtime does not answer the AWS service "${caller.service}" (it answers: ${[...Object.keys(proxied), ...Object.keys(query), ...Object.keys(json), 'lambda'].join(', ')})`,
        ),
      );
    },
  };
}

function asAwsError(err: unknown): AwsApiError {
  if (err instanceof AwsApiError) return err;
  return new AwsApiError('InternalFailure', `the local runtime failed: ${(err as Error).message}`, 500);
}
