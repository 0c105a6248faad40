import type { Command } from 'commander';
import { RAW_TABLES } from '../../core/schema/otel-rows.js';
import { qualified } from '../../core/schema/ddl.js';
import { ddlTarget } from '../../core/schema/migrate.js';
import { config, format, withStore, type CommonOptions } from '../context.js';
import { render, type Row } from '../output.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('rows and time range of every raw table')
    .option('-c, --config <file>', 'config file')
    .option('-f, --format <format>', 'table, json or csv', 'table')
    .action(async (opts: CommonOptions) => {
      const fmt = format(opts);
      const loaded = config(opts);
      const rows = await withStore(loaded, 'status', async (store) => {
        const out: Row[] = [];
        for (const table of RAW_TABLES) {
          const time = table === 'otel_traces' ? 'Timestamp' : 'TimeUnix';
          const rs = await store.client.query({
            query: `SELECT count() AS n, if(n = 0, '', formatDateTime(min(${time}), '%Y-%m-%dT%H:%i:%SZ')) AS first, if(n = 0, '', formatDateTime(max(${time}), '%Y-%m-%dT%H:%i:%SZ')) AS last FROM ${qualified(ddlTarget(store), table)}`,
            format: 'JSONEachRow',
          });
          const [r] = await rs.json<{ n: number; first: string; last: string }>();
          out.push({ table, rows: Number(r?.n ?? 0), first: r?.first || null, last: r?.last || null });
        }
        return out;
      });
      process.stdout.write(render(rows, [{ key: 'table' }, { key: 'rows', kind: 'int' }, { key: 'first' }, { key: 'last' }], fmt));
    });
}
