import { describe, expect, it } from 'vitest';
import { allStatements } from './migrations.js';
import { renderTable } from './ddl.js';
import { OTEL_TRACES } from './otel-tables.js';

describe('DDL', () => {
  it('single node: plain MergeTree tables, no ON CLUSTER', () => {
    const sql = allStatements({ database: 'default' });
    expect(sql.every((s) => !s.includes('ON CLUSTER'))).toBe(true);
    const traces = sql.find((s) => s.includes('`default`.`otel_traces`'));
    expect(traces).toContain('ENGINE = MergeTree()');
    expect(traces).toContain('PARTITION BY toDate(Timestamp)');
    expect(traces).toContain('ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)');
  });

  it('cluster: Replicated local tables ON CLUSTER plus a Distributed table under the plain name', () => {
    const [local, dist] = renderTable(OTEL_TRACES, { database: 'tf', cluster: 'factory' });
    expect(local).toMatch(/^CREATE TABLE IF NOT EXISTS `tf`\.`otel_traces_local` ON CLUSTER `factory` \(/);
    expect(local).toContain("ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/otel_traces_local', '{replica}')");
    expect(dist).toBe(
      'CREATE TABLE IF NOT EXISTS `tf`.`otel_traces` ON CLUSTER `factory` AS `tf`.`otel_traces_local`\n' +
        'ENGINE = Distributed(`factory`, `tf`, `otel_traces_local`, rand())',
    );
    const all = allStatements({ database: 'tf', cluster: 'factory' });
    // every table is a Replicated `_local` table plus a Distributed one under the plain name
    const locals = all.filter((s) => /^CREATE TABLE IF NOT EXISTS `tf`\.`\w+_local`/.test(s));
    const dists = all.filter((s) => s.includes('ENGINE = Distributed('));
    expect(locals.length).toBeGreaterThanOrEqual(13); // 6 raw + 5 facts + migrations + views, at least
    expect(dists).toHaveLength(locals.length);
    expect(locals.every((s) => /ENGINE = Replicated\w*MergeTree\('\/clickhouse\/tables\/\{shard\}/.test(s))).toBe(true);
    expect(all.every((s) => s.includes(' ON CLUSTER `factory`'))).toBe(true);
    // views read and write the local tables: each shard transforms its own rows
    expect(all.find((s) => s.includes('`tf`.`llm_requests_mv`'))).toMatch(
      /^CREATE MATERIALIZED VIEW IF NOT EXISTS `tf`\.`llm_requests_mv` ON CLUSTER `factory` TO `tf`\.`llm_requests_local` AS\n[\s\S]+FROM `tf`\.`otel_traces_local`\n/,
    );
    expect(all.find((s) => s.includes('tf_schema_migrations_local'))).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/tf_schema_migrations_local', '{replica}')",
    );
  });

  it('refuses identifiers that are not plain', () => {
    expect(() => allStatements({ database: 'x; DROP TABLE y' })).toThrow('not a plain identifier: x; DROP TABLE y');
  });
});
