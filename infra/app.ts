#!/usr/bin/env node
/**
 * The CDK app. Configuration comes from `-c config=path/to/config.yaml`; without it, the embedded example
 * (one cluster named orders-db) so that `npm run synth` works offline.
 */
import { App } from 'aws-cdk-lib';
import { InvalidRulesError } from '../tasks/core/alerts/rules';
import { buildApp } from './build-app';
import { ConfigError, loadConfig } from './config/load';

const app = new App();
const configPath = app.node.tryGetContext('config') as string | undefined;
try {
  buildApp(loadConfig(configPath), app);
} catch (err) {
  if (err instanceof ConfigError || err instanceof InvalidRulesError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
