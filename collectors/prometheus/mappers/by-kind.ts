/** The mapper of each `scrape[].kind`. `generic` keeps the rows as decoded. */
import type { ScrapeTarget } from '../../../core/config/schema.js';
import { mapDcgm } from './dcgm.js';
import { mapNim, mapSglang, mapTgi, mapTriton, mapVllm } from './inference-servers.js';
import type { ScrapeMapper } from './mapper.js';

export type ScrapeKind = ScrapeTarget['kind'];

const MAPPERS: Record<ScrapeKind, ScrapeMapper> = {
  dcgm: mapDcgm,
  vllm: mapVllm,
  nim: mapNim,
  triton: mapTriton,
  tgi: mapTgi,
  sglang: mapSglang,
  generic: (rows) => ({ rows, notes: [] }),
};

export function mapperFor(kind: ScrapeKind): ScrapeMapper {
  return MAPPERS[kind];
}
