import type { Command } from 'commander';
import { rollupStatus, settleRollups } from '../../pipelines/rollups/index.js';
import { config, format, withStore, type CommonOptions } from '../context.js';
import { render, type Row } from '../output.js';

interface SettleCliOptions extends CommonOptions {
  full?: boolean;
}

/** `token-factory rollups settle|status`: bring the hourly rollups up to date, or show how current they are. */
export function registerRollups(program: Command): void {
  const rollups = program.command('rollups').description('hourly rollups that reports read: settle them, or show their state');
  rollups
    .command('settle')
    .description('recompute the rollups of every hour touched by new facts, the open hours and, after a config change, every hour')
    .option('-c, --config <file>', 'config file')
    .option('--full', 'recompute every hour with facts')
    .option('-f, --format <format>', 'table, json or csv', 'table')
    .action(async (opts: SettleCliOptions) => {
      const fmt = format(opts);
      const loaded = config(opts);
      const r = await withStore(loaded, 'rollups settle', (store) =>
        settleRollups(store, loaded.config, {
          full: opts.full === true,
          ...(process.stderr.isTTY ? { onProgress: (done: number, total: number) => process.stderr.write(`\rsettling ${done}/${total} hours`) } : {}),
        }),
      );
      if (process.stderr.isTTY) process.stderr.write('\n');
      const row: Row = { ...r };
      process.stdout.write(render([row], Object.keys(row).map((key) => ({ key, ...(['hours', 'days', 'batches', 'duration_ms'].includes(key) || key.endsWith('_hours') ? { kind: 'int' as const } : {}) })), fmt));
    });
  rollups
    .command('status')
    .description('hours settled, current and waiting for a settle')
    .option('-c, --config <file>', 'config file')
    .option('-f, --format <format>', 'table, json or csv', 'table')
    .action(async (opts: CommonOptions) => {
      const fmt = format(opts);
      const loaded = config(opts);
      const s = await withStore(loaded, 'rollups status', (store) => rollupStatus(store, loaded.config));
      const row: Row = { ...s };
      process.stdout.write(render([row], Object.keys(row).map((key) => ({ key, ...(key.endsWith('_hours') ? { kind: 'int' as const } : {}) })), fmt));
    });
}
