// Vitest global setup: synthesize without the CDK's built-in CloudFormation validation in every
// test process. Unless an app sets the feature flag `@aws-cdk/core:validateAgainstDefaultRules`
// (scimitar's does not), the CDK reports what that validation finds as warnings, so it can fail no
// test; its WebAssembly engine costs about 3 s to start in each process and a second or more per
// synth, in the dozens of processes that synthesize. test/cdk/cfn-validate.test.ts and
// test/cdk/scale.test.ts run it with its rules as errors instead, on the configs that cover every
// resource scimitar creates.
export default function setup(): void {
  // Set before the test processes start: they, and the synths they spawn, inherit it.
  process.env.CDK_VALIDATION ??= 'false';
}
