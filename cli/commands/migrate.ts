import type { Command } from 'commander';
import { allStatements } from '../../core/schema/migrations.js';
import { migrate } from '../../core/schema/migrate.js';
import { config, withStore, type CommonOptions } from '../context.js';

interface MigrateOptions extends CommonOptions {
  print?: boolean;
  cluster?: string;
  database?: string;
}

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('create or upgrade the schema (also done on every start)')
    .option('-c, --config <file>', 'config file (default: $TOKEN_FACTORY_CONFIG or ./token-factory.yaml)')
    .option('--print', 'print the DDL instead of running it')
    .option('--cluster <name>', 'with --print: render the ON CLUSTER / Replicated / Distributed DDL for this cluster')
    .option('--database <name>', 'with --print: database name', 'default')
    .action(async (opts: MigrateOptions) => {
      if (opts.print) {
        process.stdout.write(allStatements({ database: opts.database ?? 'default', cluster: opts.cluster }).join(';\n\n') + ';\n');
        return;
      }
      const loaded = config(opts);
      await withStore(loaded, 'migrate', async (store) => {
        const r = await migrate(store, { views: loaded.config.attribution }); // withStore already migrated: this reports the state
        process.stdout.write(`schema at version ${r.current} in ${store.location}\n`);
      });
    });
}
