import { defineConfig } from 'vitest/config';
import SlowestFirst from './test/sequencer.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Records the AWS calls the functions make and proves them against the synthesized roles;
    // synthesizes without the CDK's CloudFormation validation, but where it runs as errors.
    globalSetup: ['test/iam/global-setup.ts', 'test/cdk/validation-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores on CI machines: keep forks few so loopback servers are not starved.
    pool: 'forks',
    maxWorkers: 2,
    // The slowest files first, so none of them runs alone at the end (test/sequencer.ts).
    sequence: { sequencer: SlowestFirst },
  },
});
