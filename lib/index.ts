// The package's entry (`import { defineConfig, Scimitar } from 'scimitar'`): the config helper and
// its types, and the CDK construct and stack. The config helper lives in its own module,
// 'scimitar/config', for a config file that should not load the CDK (the CLI reads the config of
// every command).
export * from './config.ts';
export { Scimitar, type ScimitarProps, ScimitarStack, type ScimitarStackProps } from './scimitar-stack.ts';
