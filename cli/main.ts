/**
 * The `token-factory` command. Errors end the process with a one-line message and a
 * non-zero status; a bad config lists every bad field with its path.
 */
import { Command, CommanderError } from 'commander';
import { TokenFactoryError, ConfigError } from '../core/errors.js';
import { registerIngest } from './commands/ingest.js';
import { registerMigrate } from './commands/migrate.js';
import { registerReport } from './commands/report.js';
import { registerStatus } from './commands/status.js';
import { registerServe } from './commands/serve.js';
import { registerRevenue } from './commands/revenue.js';
import { registerWorkflows } from './commands/workflows.js';
import { registerExport } from './commands/export.js';
import { registerCollect } from './commands/collect.js';
import { registerDemo } from './commands/demo.js';
import { registerSimulate } from './commands/simulate.js';
import { registerSlo } from './commands/slo.js';
import { registerLatency } from './commands/latency.js';
import { registerQuotas } from './commands/quotas.js';
import { registerReconciliation } from './commands/reconciliation.js';
import { registerRollups } from './commands/rollups.js';

const program = new Command('token-factory')
  .description('economics of an AI token factory: tokens per GPU-hour, cost per million tokens, latency, tenants, revenue per GPU')
  .exitOverride()
  .showHelpAfterError();
registerIngest(program);
registerReport(program);
registerStatus(program);
registerMigrate(program);
registerServe(program);
registerRevenue(program);
registerWorkflows(program);
registerSlo(program);
registerLatency(program);
registerQuotas(program);
registerReconciliation(program);
registerRollups(program);
registerExport(program);
registerCollect(program);
registerDemo(program);
registerSimulate(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode;
  } else if (e instanceof ConfigError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = 2;
  } else if (e instanceof TokenFactoryError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = e.status === 400 ? 2 : 1;
  } else {
    process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
