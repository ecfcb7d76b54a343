// 'scimitar/config': what a config file needs, without the CDK. `defineConfig` types the config;
// the CLI, the CDK app and the construct validate it (`parseConfig`, every problem listed).
export {
  checkConfig,
  defineConfig,
  parseConfig,
  type ScimitarConfig,
  type ScimitarConfigInput,
  type ScimTargetConfig,
  type SourceConfig,
  type TargetConfig,
  ValidationError,
} from '../lambdas/core/model/config.ts';
export { ConfigFileError, loadConfigFile } from './config-file.ts';
