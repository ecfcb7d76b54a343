// The CDK app: loads and validates the deployment config, builds the stack, checks it with
// cdk-nag (AWS Solutions rules). A config error is printed plainly and exits 1. The installed
// package ships it as 'scimitar/app' (`scimitar synth|deploy` runs it with the config given).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ScimitarError } from '../lambdas/core/model/errors.ts';
import { loadConfigFile } from '../lib/config-file.ts';
import { ScimitarStack } from '../lib/scimitar-stack.ts';

const configFile = process.env.SCIMITAR_CONFIG_FILE ?? 'scimitar.config.ts';

let config: Awaited<ReturnType<typeof loadConfigFile>>;
try {
  config = await loadConfigFile(configFile);
} catch (err) {
  // ValidationError and ConfigFileError: the message names the file, field and fix.
  if (err instanceof ScimitarError) {
    process.stderr.write(`scimitar: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

// The repository's cdk.json sets the same; the installed package's app has no cdk.json of its own.
const app = new App({ context: { '@aws-cdk/core:stackRelativeExports': true } });
new ScimitarStack(app, config.stackName, {
  config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// cdk-nag v3 is a policy-validation plugin: findings fail `cdk synth` with a report.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
