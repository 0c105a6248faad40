/**
 * The inventory and cost model of the config as ClickHouse query parameters (arrays
 * and maps bound with typed placeholders — never pasted into SQL). Joining through
 * parameters at query time means a config change applies to every report at once,
 * history included, with nothing to re-materialise.
 */
import type { Config } from '../../core/config/schema.js';

export const UNASSIGNED = 'unassigned';

export interface InventoryParams {
  [name: string]: unknown;
  /** GPU → deployment rules, in priority order: UUID, node + GPU index, pod regex */
  inv_uuid_keys: string[];
  inv_uuid_deps: string[];
  inv_node_keys: string[];
  inv_node_deps: string[];
  inv_pod_patterns: string[];
  inv_pod_deps: string[];
  /** request → deployment: span server.address, else the model served */
  inv_endpoint_keys: string[];
  inv_endpoint_deps: string[];
  inv_model_keys: string[];
  inv_model_deps: string[];
  /** deployment → model, for reports by deployment */
  inv_dep_names: string[];
  inv_dep_models: string[];
  /** cost model per gpu_type */
  gt_hourly_usd: Record<string, number>;
  gt_kwh_usd: Record<string, number>;
  gt_pue: Record<string, number>;
  w_in: number;
  w_out: number;
  max_gap_s: number;
}

/** The SQL parameter declarations matching InventoryParams. */
export const INVENTORY_PARAM_TYPES: Record<keyof Omit<InventoryParams, never> & string, string> = {
  inv_uuid_keys: 'Array(String)',
  inv_uuid_deps: 'Array(String)',
  inv_node_keys: 'Array(String)',
  inv_node_deps: 'Array(String)',
  inv_pod_patterns: 'Array(String)',
  inv_pod_deps: 'Array(String)',
  inv_endpoint_keys: 'Array(String)',
  inv_endpoint_deps: 'Array(String)',
  inv_model_keys: 'Array(String)',
  inv_model_deps: 'Array(String)',
  inv_dep_names: 'Array(String)',
  inv_dep_models: 'Array(String)',
  gt_hourly_usd: 'Map(String, Float64)',
  gt_kwh_usd: 'Map(String, Float64)',
  gt_pue: 'Map(String, Float64)',
  w_in: 'Float64',
  w_out: 'Float64',
  max_gap_s: 'Float64',
};

/** `{name:Type}` placeholder for an inventory parameter. */
export function p(name: keyof InventoryParams & string): string {
  const type = INVENTORY_PARAM_TYPES[name];
  if (!type) throw new Error(`unknown inventory parameter ${name}`);
  return `{${name}:${type}}`;
}

export function inventoryParams(config: Config): InventoryParams {
  const out: InventoryParams = {
    inv_uuid_keys: [],
    inv_uuid_deps: [],
    inv_node_keys: [],
    inv_node_deps: [],
    inv_pod_patterns: [],
    inv_pod_deps: [],
    inv_endpoint_keys: [],
    inv_endpoint_deps: [],
    inv_model_keys: [],
    inv_model_deps: [],
    inv_dep_names: [],
    inv_dep_models: [],
    gt_hourly_usd: {},
    gt_kwh_usd: {},
    gt_pue: {},
    w_in: config.attribution.token_weights.input,
    w_out: config.attribution.token_weights.output,
    max_gap_s: config.attribution.max_sample_gap_s,
  };
  for (const d of config.deployments) {
    out.inv_dep_names.push(d.name);
    out.inv_dep_models.push(d.model);
    const g = d.gpus;
    if ('uuids' in g) for (const u of g.uuids) (out.inv_uuid_keys.push(u), out.inv_uuid_deps.push(d.name));
    if ('nodes' in g) for (const n of g.nodes) for (const i of n.gpus) (out.inv_node_keys.push(`${n.node}#${i}`), out.inv_node_deps.push(d.name));
    if ('pods' in g) for (const re of g.pods) (out.inv_pod_patterns.push(re), out.inv_pod_deps.push(d.name));
    for (const e of d.endpoints) (out.inv_endpoint_keys.push(e), out.inv_endpoint_deps.push(d.name));
    // the first deployment of a model serves requests that name no known endpoint
    if (!out.inv_model_keys.includes(d.model)) (out.inv_model_keys.push(d.model), out.inv_model_deps.push(d.name));
  }
  for (const [name, t] of Object.entries(config.gpu_types)) {
    out.gt_hourly_usd[name] = t.hourly_usd;
    out.gt_kwh_usd[name] = t.kwh_usd;
    out.gt_pue[name] = t.pue;
  }
  return out;
}
