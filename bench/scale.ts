// Resource counts and template sizes of one deployment at 1, 10, 50 and 200 SCIM targets (a tenth
// as many manual ones), synthesized offline without bundling: `npm run bench:scale`
// (BENCH_TARGETS=1,10,50,200 to change). The numbers ARCHITECTURE.md argues the shape with.
import { readdirSync, readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { parseConfig } from '../lambdas/core/model/config.ts';
import { ScimitarStack } from '../lib/scimitar-stack.ts';
import { scaleConfig } from '../test/support/scale-config.ts';

const counts = (process.env.BENCH_TARGETS ?? '1,10,50,200').split(',').map(Number);

for (const n of counts) {
  const started = performance.now();
  const config = parseConfig(scaleConfig(n, Math.floor(n / 10)));
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  new ScimitarStack(app, config.stackName, { config });
  const dir = app.synth().directory;
  const ms = performance.now() - started;
  const templates = readdirSync(dir)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => {
      const body = readFileSync(`${dir}/${f}`, 'utf8');
      const resources = Object.keys((JSON.parse(body) as { Resources: object }).Resources).length;
      return { root: !f.includes('.nested.'), resources, bytes: Buffer.byteLength(body) };
    });
  const root = templates.find((t) => t.root);
  const shards = templates.filter((t) => !t.root);
  const total = templates.reduce((sum, t) => sum + t.resources, 0);
  console.log(
    `${n} SCIM targets: ${total} resources in ${templates.length} templates; root ${root?.resources} resources, ${Math.round((root?.bytes ?? 0) / 1024)} KB; ` +
      `${shards.length} lane shards, largest ${Math.max(0, ...shards.map((t) => t.resources))} resources, ${Math.round(Math.max(0, ...shards.map((t) => t.bytes)) / 1024)} KB; synth ${(ms / 1000).toFixed(1)} s`,
  );
}
