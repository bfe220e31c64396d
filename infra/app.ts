#!/usr/bin/env node
/**
 * The CDK app. Configuration comes from `-c config=path/to/config.yaml`; without it, the embedded example
 * (one cluster named orders-db) so that `npm run synth` works offline: the app then says so on stderr, and the
 * template refuses to deploy. A context key that looks like a misspelt `config` fails synth.
 */
import { App } from 'aws-cdk-lib';
import { InvalidRulesError } from '../tasks/core/alerts/rules';
import { buildApp } from './build-app';
import { selectConfig } from './config/context';
import { ConfigError, loadConfig } from './config/load';

const app = new App();
try {
  const selection = selectConfig(app.node.getAllContext());
  if (selection.notice) console.error(selection.notice);
  buildApp(loadConfig(selection.path), app);
} catch (err) {
  if (err instanceof ConfigError || err instanceof InvalidRulesError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
