export { settleRollups, type SettleOptions, type SettleResult } from './settle.js';
export { planRollupRead, type RollupPlan, type RollupSource } from './plan.js';
export { buildUnitEconomicsAuto, buildUnitEconomicsFromRollups, unitEconomicsAuto, unitEconomicsFromRollups, rollupDimensions, ROLLUP_DIMENSIONS } from './unit-economics-from-rollups.js';
export { buildCostTotalsAuto, buildCostTotalsFromRollups, costTotalsAuto, costTotalsFromRollups, COST_DIMENSIONS, type CostDimension, type CostTotalsQuery } from './cost-totals-from-rollups.js';
export { buildRevenueMarginAuto, buildRevenueMarginFromRollups, revenueMarginAuto, revenueMarginFromRollups } from './revenue-from-rollups.js';
export { rollupStatus, type RollupStatus } from './status.js';
export { hourStates, type HourState } from './hour-state.js';
export { rollupFingerprint } from './fingerprint.js';
export { startSettleLoop, type SettleLoopOptions } from './settle-loop.js';
