import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../infra/config/load';
import type { RegisterCommands } from '../io';
import { outputFormat, textRecord } from '../output';

export const register: RegisterCommands = ({ program, io, setExit }) => {
  const config = program.command('config').description('Inspect the aurora-audit configuration');
  config
    .command('check')
    .description('Validate a configuration file (default: the embedded example) and summarize it')
    .option('-c, --config <file>', 'configuration file (YAML or JSON)')
    .action((opts: { config?: string }, cmd: Command) => {
      try {
        const cfg = loadConfig(opts.config);
        if (outputFormat(cmd) === 'text') {
          // AWS-CLI-style text: one tab-separated record per line.
          io.stdout(textRecord('CONFIG', 'OK', cfg.origin));
          for (const c of cfg.clusters) io.stdout(textRecord('CLUSTER', c.identifier, c.resourceId));
          io.stdout(textRecord('ALERTS', ...cfg.alerts.recipients));
          io.stdout(textRecord('REPORTS', ...cfg.reports.recipients));
          return setExit(0);
        }
        io.stdout(`configuration OK: ${cfg.origin}\n`);
        for (const c of cfg.clusters) io.stdout(`  cluster ${c.identifier} (${c.resourceId})\n`);
        io.stdout(
          `  alerts to ${cfg.alerts.recipients.join(', ')}; reports to ${cfg.reports.recipients.join(', ')}\n`,
        );
        setExit(0);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        io.stderr(`${err.message}\n`);
        setExit(1);
      }
    });
};
