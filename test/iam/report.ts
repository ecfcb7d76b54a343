// `npm run iam:report [dir]`: the IAM proof's full report from the calls the latest test run (or a
// local runtime started with SCIMITAR_RECORD_AWS_CALLS=<dir>) recorded. Exits 1 when a call is
// not allowed by its function's role.
import { latestRecordings } from './global-setup.ts';
import { describeDenial, describeProof, proveRecordings } from './proof.ts';

const dir = process.argv[2] ?? process.env.SCIMITAR_RECORD_AWS_CALLS ?? latestRecordings();
const { proofs, calls } = dir ? proveRecordings(dir) : { proofs: [], calls: 0 };
if (calls === 0) {
  console.log(
    `no AWS calls recorded${dir ? ` in ${dir}` : ''}: run \`npm test\` first (it records in .scimitar/aws-calls/)`,
  );
  process.exit(1);
}
for (const proof of proofs) {
  console.log(`${proof.checked} call(s) checked\n`);
  for (const line of describeProof(proof, true)) console.log(line);
  if (proof.denials.length) {
    console.log(`\n${proof.denials.length} call(s) NOT allowed:`);
    for (const denial of proof.denials) console.log(`  - ${describeDenial(denial)}`);
  }
}
process.exit(proofs.some((p) => p.denials.length > 0) ? 1 : 0);
