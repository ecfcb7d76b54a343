import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { build, configWith } from './fixture.ts';

describe('stack outputs and the alert key', () => {
  it('gives targets whose ids differ only by a dash their own dead-letter outputs', () => {
    const { template } = build(configWith([{ id: 'a-b' }, { id: 'ab' }]));
    const outputs = Object.keys(template.toJSON().Outputs ?? {}).filter((k) =>
      k.startsWith('DeadLetterQueue'),
    );
    // The URL to inspect, the ARN to redrive (start-message-move-task takes an ARN).
    expect(outputs.sort()).toEqual([
      'DeadLetterQueueArnaDashb',
      'DeadLetterQueueArnab',
      'DeadLetterQueueUrlaDashb',
      'DeadLetterQueueUrlab',
    ]);
  });

  it("lets CloudWatch use the alert topics' key only for this account's alarms", () => {
    const { template } = build(configWith([{ id: 'app' }]));
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'scimitar alert and owner topics',
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
  });
});
