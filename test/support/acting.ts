// Runs test code as one of the sample stack's functions, so the AWS calls it makes through a
// recorded client (test/support/dynalite.ts) are proven against that function's role (test/iam/).
import { actAs, registerStack } from '../../local/aws-calls.ts';
import { testConfig } from './local-runtime.ts';

export function asFunction<T>(entry: string, work: () => T, targetId?: string): T {
  return actAs({ entry, stack: registerStack(testConfig()), ...(targetId ? { targetId } : {}) }, work);
}
