export type { ScrapeMapper, ScrapeMapperTarget } from './mapper.js';
export { mapDcgm } from './dcgm.js';
export { mapNim, mapSglang, mapTgi, mapTriton, mapVllm, NIM_VLLM_NAMES } from './inference-servers.js';
export { mapperFor, type ScrapeKind } from './by-kind.js';
