/**
 * SQL fragments the ClickHouse panels share. The facts are ReplacingMergeTree tables
 * that may hold a row twice until merged, so panels read them with FINAL (as the KPI
 * queries deduplicate, core/schema/fact-tables.ts). Rollup rows count only at the
 * version `rollup_hours` records as current for their hour (pipelines/rollups/): hours
 * not settled yet are absent from rollup panels until the next settle.
 */

/** `WHERE` condition: rollup rows of the current version of their hour, within the dashboard range. */
export const CURRENT_ROLLUP = `$__timeFilter(hour)
      AND (hour, version) IN (SELECT hour, max(version) FROM rollup_hours WHERE $__timeFilter(hour) GROUP BY hour)`;

/** `AND` condition on a `model` column for the dashboard's `model` variable (no-op when All). */
export const MODEL_FILTER = '$__conditionalAll(model IN (${model:singlequote}), $model)';

/** The same for the `tenant` variable. */
export const TENANT_FILTER = '$__conditionalAll(tenant IN (${tenant:singlequote}), $tenant)';

/** The models seen in the range, for the `model` variable. */
export const MODELS_SQL = 'SELECT DISTINCT model FROM llm_requests WHERE $__timeFilter(ts) ORDER BY model';

/** The tenants seen in the range, for the `tenant` variable. */
export const TENANTS_SQL = 'SELECT DISTINCT tenant FROM llm_requests WHERE $__timeFilter(ts) ORDER BY tenant';
