/**
 * One source for single-node and cluster DDL. A table is described once; `renderTable`
 * emits either a plain `CREATE TABLE … ENGINE = MergeTree` or, with a cluster, a
 * `<name>_local` ReplicatedMergeTree table ON CLUSTER plus a Distributed table named
 * `<name>` over it, so that every query (ours and otelcol-contrib's inserts) keeps
 * using the plain name.
 */
export interface TableDef {
  name: string;
  /** the column list, as in CREATE TABLE (…) */
  columns: string;
  /** MergeTree family engine name: MergeTree, ReplacingMergeTree, AggregatingMergeTree, … */
  engine: 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree' | 'SummingMergeTree';
  /** engine arguments, e.g. the version column of a ReplacingMergeTree */
  engineArgs?: string[];
  partitionBy?: string;
  primaryKey?: string;
  orderBy: string;
  ttl?: string;
  settings?: string;
}

export interface DdlTarget {
  database: string;
  cluster?: string | undefined;
}

/** Identifiers in DDL come from fixed definitions or validated config, never from payloads. */
export function ident(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return `\`${name}\``;
}

function onCluster(t: DdlTarget): string {
  return t.cluster ? ` ON CLUSTER ${ident(t.cluster)}` : '';
}

/** A column name as system.columns lists it (Nested sub-columns carry a dot). */
export function columnIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(name)) throw new Error(`not a plain column name: ${name}`);
  return `\`${name}\``;
}

export function qualified(t: DdlTarget, table: string): string {
  return `${ident(t.database)}.${ident(table)}`;
}

export function renderTable(def: TableDef, t: DdlTarget): string[] {
  const local = t.cluster ? `${def.name}_local` : def.name;
  const args = def.engineArgs ?? [];
  const engine = t.cluster
    ? `Replicated${def.engine}(${[`'/clickhouse/tables/{shard}/{database}/${local}'`, `'{replica}'`, ...args].join(', ')})`
    : `${def.engine}(${args.join(', ')})`;
  const clauses = [
    `CREATE TABLE IF NOT EXISTS ${qualified(t, local)}${onCluster(t)} (\n${def.columns.trim()}\n)`,
    `ENGINE = ${engine}`,
    def.partitionBy ? `PARTITION BY ${def.partitionBy}` : '',
    def.primaryKey ? `PRIMARY KEY ${def.primaryKey}` : '',
    `ORDER BY ${def.orderBy}`,
    def.ttl ? `TTL ${def.ttl}` : '',
    def.settings ? `SETTINGS ${def.settings}` : '',
  ].filter(Boolean);
  const statements = [clauses.join('\n')];
  if (t.cluster) {
    statements.push(
      `CREATE TABLE IF NOT EXISTS ${qualified(t, def.name)}${onCluster(t)} AS ${qualified(t, local)}\n` +
        `ENGINE = Distributed(${ident(t.cluster)}, ${ident(t.database)}, ${ident(local)}, rand())`,
    );
  }
  return statements;
}

/** The table that physically holds the rows (the `_local` table on a cluster). */
export function storageTable(name: string, t: DdlTarget): string {
  return t.cluster ? `${name}_local` : name;
}
