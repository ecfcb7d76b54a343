import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { build, configWith, stackArn, stackQueueUrl } from './fixture.ts';

describe('stack outputs and the alert key', () => {
  it('outputs the dead-letter queues as two prefixes (URL to inspect, ARN to redrive): the target id completes them, whatever the target count', () => {
    const { template } = build(configWith([{ id: 'a-b' }, { id: 'ab' }]));
    template.hasOutput('DeadLetterQueueUrlPrefix', {
      Value: stackQueueUrl('Scimitar_dlq_'),
    });
    template.hasOutput('DeadLetterQueueArnPrefix', {
      Value: stackArn('sqs', ':Scimitar_dlq_'),
    });
    const many = build(configWith(Array.from({ length: 25 }, (_, i) => ({ id: `app-${i}` }))));
    expect(Object.keys(many.template.toJSON().Outputs).sort()).toEqual(
      Object.keys(template.toJSON().Outputs).sort(),
    );
  }, 180_000);

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
