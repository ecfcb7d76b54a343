// The one way scimitar deploys a Lambda function: runtime, architecture, logs, tracing, ESM
// bundling and the validated config fixed here once, so no construct pastes a NodejsFunction block.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Duration, RemovalPolicy, Stage, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ProjectedConfig } from '../lambdas/aws/config-guard.ts';
import type { ScimitarConfig } from '../lambdas/core/model/config.ts';
import { METRICS_NAMESPACE } from '../lambdas/core/model/metrics.ts';
import { projectConfig } from './config-projection.ts';

/** The Lambda entries under lambdas/aws/entries/, one per function. */
export const SCIMITAR_ENTRIES = [
  'ingest',
  'plan',
  'worker',
  'summarize',
  'rotation',
  'canary',
  'reconcile',
  'roster-upload',
  'audit-archive',
  'operator',
  'pull',
] as const;
export type ScimitarEntry = (typeof SCIMITAR_ENTRIES)[number];

/** The largest bundle (code, without source maps) a function may ship; test/cdk/bundles.test.ts holds it. */
export const MAX_BUNDLE_BYTES = 300 * 1024;

// The namespace's home is the core, beside the metric names; constructs import it from here too.
export { METRICS_NAMESPACE };

/**
 * The function's POWERTOOLS_SERVICE_NAME. Powertools adds it as the `service` dimension of every
 * metric the function publishes, so an alarm on a custom metric must name this value too.
 */
export function serviceName(entry: ScimitarEntry): string {
  return `scimitar-${entry}`;
}

/**
 * The Lambda runtime of every function. Node.js 24 is the newest the installed aws-cdk-lib
 * knows; esbuild targets the same version.
 */
export const SCIMITAR_RUNTIME = Runtime.NODEJS_24_X;

// The entries are TypeScript in this repository and JavaScript in the installed package (dist/,
// compiled beside this module): bundle whichever this module itself is.
const ENTRY_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

// Bundled as ESM: some dependencies still call require(); the shim gives them one.
const REQUIRE_SHIM =
  "import { createRequire as __scimitarCreateRequire } from 'node:module'; const require = __scimitarCreateRequire(import.meta.url);";

/** The identifier the bundle's `process.env.SCIMITAR_CONFIG` becomes; the injected module exports it. */
const CONFIG_IDENTIFIER = '__scimitarConfig';

/**
 * Writes the function's projection of the config (lib/config-projection.ts) as a module for
 * esbuild to inject, once per distinct projection, into the cloud assembly's directory, and returns
 * its path. The JSON is gzipped: config is data the bundle carries, not code, and 200 targets'
 * settings (mostly the same keys, over and over) shrink about tenfold; the module inflates it once,
 * at cold start (about a millisecond). It is not passed as a `--define` value: esbuild runs as a
 * subprocess, and one command-line argument may hold at most 128 KB (Linux MAX_ARG_STRLEN).
 */
function configModule(scope: Construct, projected: ProjectedConfig): string {
  const json = JSON.stringify(projected);
  const hash = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const dir = join(Stage.of(scope)?.outdir ?? 'cdk.out', 'scimitar-config');
  const file = join(dir, `config-${hash}.mjs`);
  mkdirSync(dir, { recursive: true });
  const packed = gzipSync(json, { level: 9 }).toString('base64');
  writeFileSync(
    file,
    [
      "import { gunzipSync } from 'node:zlib';",
      `export const ${CONFIG_IDENTIFIER} = gunzipSync(Buffer.from(${JSON.stringify(packed)}, 'base64')).toString('utf8');`,
      '',
    ].join('\n'),
  );
  return file;
}

export interface ScimitarFunctionProps {
  /** Which entry to deploy: `lambdas/aws/entries/<entry>.ts`, exporting `handler`. */
  readonly entry: ScimitarEntry;
  /**
   * The validated config. The part the function reads (its projection, lib/config-projection.ts)
   * is inlined into the bundle as `process.env.SCIMITAR_CONFIG` at build time, because Lambda
   * environment variables are capped at 4 KB in total and a config with many targets exceeds that.
   */
  readonly config: ScimitarConfig;
  /** The function's physical name. @default - a name CloudFormation generates */
  readonly functionName?: string;
  /** @default - a description naming the entry */
  readonly description?: string;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** Extra environment variables, set next to the Powertools ones. @default - none */
  readonly environment?: Record<string, string>;
  /** How long the function's logs are kept. @default RetentionDays.THREE_MONTHS */
  readonly logRetention?: RetentionDays;
}

export class ScimitarFunction extends NodejsFunction {
  /** The entry this function runs. */
  public readonly entryName: ScimitarEntry;

  constructor(scope: Construct, id: string, props: ScimitarFunctionProps) {
    const memorySize = props.memorySize ?? 512;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
      throw new Error(
        `ScimitarFunction ${id}: memorySize ${memorySize} is out of range; use whole MB from 128 to 10240`,
      );
    }
    const timeout = props.timeout ?? Duration.seconds(30);
    if (timeout.toSeconds() < 1 || timeout.toSeconds() > 900) {
      throw new Error(
        `ScimitarFunction ${id}: timeout ${timeout.toHumanString()} is out of range; use 1 second to 15 minutes`,
      );
    }
    // The log group and role must exist before super(), so they are siblings of the function
    // (ids `<id>LogGroup`, `<id>Role`) rather than its children.
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: logs only to this function's log group.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `scimitar ${props.entry} function`,
    });
    logGroup.grantWrite(role);

    const projected = projectConfig(props.entry, props.config);
    super(scope, id, {
      entry: fileURLToPath(
        new URL(`../lambdas/aws/entries/${props.entry}${ENTRY_EXTENSION}`, import.meta.url),
      ),
      handler: 'handler',
      ...(props.functionName && { functionName: props.functionName }),
      description: props.description ?? `scimitar ${props.entry}`,
      runtime: SCIMITAR_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: serviceName(props.entry),
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...(props.config.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: REQUIRE_SHIM,
        minify: true,
        // Off by default: a map doubles the zip and the cold start reads it; `sourceMaps: true`
        // in the config ships them for readable stack traces.
        sourceMap: props.config.sourceMaps,
        forceDockerBundling: false,
        logLevel: LogLevel.WARNING,
        // process.env.SCIMITAR_CONFIG becomes the injected module's export: the projection's JSON.
        // A function that reads no config gets none.
        ...(projected && {
          define: { 'process.env.SCIMITAR_CONFIG': CONFIG_IDENTIFIER },
          inject: [configModule(scope, projected)],
        }),
      },
    });
    this.entryName = props.entry;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support only Resource "*"; the role names the resources of every grant scimitar makes.',
    });
  }
}
