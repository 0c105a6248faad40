/**
 * What Grafana and the ClickHouse data source (v4) do to a panel's SQL before it reaches
 * ClickHouse, for the macros and variable forms the dashboards use — so the tests can
 * run the dashboards' SQL on a real ClickHouse:
 * - `$__timeFilter(c)` → `c >= toDateTime(from) AND c <= toDateTime(to)` (seconds);
 * - `$__timeInterval(c)` → `toStartOfInterval(toDateTime(c), INTERVAL <interval_s> second)`;
 * - `$__interval_s` → the interval in seconds;
 * - `$__conditionalAll(cond, $var)` → `1=1` when the variable is All, else `cond`;
 * - `${var:singlequote}` → the selected values, single-quoted and comma-separated.
 * A macro left unexpanded makes ClickHouse fail, so a query using another form fails
 * the test rather than passing untested.
 */
export interface MacroContext {
  from: Date;
  /** inclusive, as Grafana's range end */
  to: Date;
  intervalS: number;
  /** variable → selected values; absent or empty = All */
  vars: Record<string, string[]>;
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function expandMacros(sql: string, ctx: MacroContext): string {
  const fromS = Math.floor(ctx.from.getTime() / 1000);
  const toS = Math.floor(ctx.to.getTime() / 1000);
  const isAll = (v: string) => !ctx.vars[v] || ctx.vars[v]!.length === 0;
  let out = sql;
  // $__conditionalAll(cond, $var): cond may hold parentheses, the variable is the last argument
  out = out.replace(/\$__conditionalAll\((.*?),\s*\$(\w+)\)/g, (_m, cond: string, v: string) => (isAll(v) ? '1=1' : cond));
  out = out.replace(/\$__timeFilter\(([^)]+)\)/g, (_m, c: string) => `${c} >= toDateTime(${fromS}) AND ${c} <= toDateTime(${toS})`);
  out = out.replace(/\$__timeInterval\(([^)]+)\)/g, (_m, c: string) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${ctx.intervalS} second)`);
  out = out.replace(/\$__interval_s\b/g, String(ctx.intervalS));
  out = out.replace(/\$\{(\w+):singlequote\}/g, (_m, v: string) => (isAll(v) ? "''" : ctx.vars[v]!.map(quote).join(',')));
  return out;
}
