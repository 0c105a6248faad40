export * from './run-export.js';
export { FOCUS_COLUMNS, FOCUS_GRANULARITIES, type FocusGranularity } from './focus.js';
export { REQUEST_USAGE_COLUMNS } from './request-usage.js';
export { TENANT_DAY_COLUMNS } from './tenant-day.js';
