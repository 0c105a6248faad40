import type { Command } from 'commander';
import { createApi, listen } from '../../pipelines/api/server.js';
import { startSettleLoop } from '../../pipelines/rollups/index.js';
import { BadRequestError } from '../../core/errors.js';
import { config, withStore, type CommonOptions } from '../context.js';

interface ServeOptions extends CommonOptions {
  apiPort?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('hold the store and serve the API until interrupted (report commands in other shells go through it)')
    .option('-c, --config <file>', 'config file')
    .option('--api-port <port>', 'API port (default: api.port of the config; 0 picks a free one)')
    .action(async (opts: ServeOptions) => {
      const loaded = config(opts);
      const port = opts.apiPort !== undefined ? Number(opts.apiPort) : loaded.config.api.port;
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BadRequestError(`--api-port ${opts.apiPort}: expected a port number`);
      await withStore(loaded, 'serve', async (store) => {
        const { server, url } = await listen(createApi(store, loaded.config), loaded.config.api.host, port);
        store.advertiseApi(url);
        // keeps the rollups that reports read current (rollups.settle_interval_s)
        const stopSettling = startSettleLoop(store, loaded.config, {
          intervalS: loaded.config.rollups.settle_interval_s,
          onError: (e) => process.stderr.write(`${new Date().toISOString()} rollups: settle failed (${((e as Error)?.message ?? String(e)).split('\n')[0]}); retrying in ${loaded.config.rollups.settle_interval_s} s\n`),
        });
        process.stdout.write(`token-factory API on ${url} (store ${store.location}); Ctrl-C stops\n`);
        await new Promise<void>((resolve) => {
          const stop = () => server.close(() => resolve());
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await stopSettling();
      });
    });
}
