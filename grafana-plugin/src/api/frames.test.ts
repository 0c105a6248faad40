/**
 * The Arrow → DataFrame converter against the API's recorded Arrow and JSON answers to
 * the same query (unit-economics by model and hour on the factory fixture): the same
 * fields, types and values either way.
 */
import { readFileSync } from 'fs';
import path from 'path';
import { FieldType } from '@grafana/data';
import { arrowToFrame, rowsToFrame } from './frames';
import { frameToCsv } from './csv';

const DIR = path.resolve(__dirname, '..', '__fixtures__', 'api');
const index: Record<string, { file: string }> = JSON.parse(readFileSync(path.join(DIR, 'index.json'), 'utf8'));
const QUERY = '/api/v1/unit-economics?by=model%2Chour&from=2026-11-23T10%3A00%3A00.000Z&to=2026-11-23T13%3A00%3A00.000Z';

function recorded(accept: string): Buffer {
  return readFileSync(path.join(DIR, index[`${accept} ${QUERY}`]!.file));
}

describe('arrowToFrame', () => {
  const arrow = arrowToFrame(recorded('application/vnd.apache.arrow.stream'));
  const json = rowsToFrame(JSON.parse(recorded('application/json').toString('utf8')).rows);

  it('gives the same frame as the JSON rows: names, types, values', () => {
    expect(arrow.fields.map((f) => f.name)).toEqual(json.fields.map((f) => f.name));
    expect(arrow.fields.map((f) => f.type)).toEqual(json.fields.map((f) => f.type));
    for (const f of arrow.fields) {
      expect([f.name, f.values]).toEqual([f.name, json.fields.find((j) => j.name === f.name)!.values]);
    }
  });

  it('types the columns: dimensions as strings, hour as time (ms), UInt64 counts as numbers, units from KPIS.md names', () => {
    const byName = new Map(arrow.fields.map((f) => [f.name, f]));
    expect(byName.get('model')!.type).toBe(FieldType.string);
    expect(byName.get('hour')!.type).toBe(FieldType.time);
    // rows: 70b at 10:00, 70b at 11:00, 8b at 10:00 (ORDER BY model, hour)
    expect(byName.get('hour')!.values).toEqual([Date.UTC(2026, 10, 23, 10), Date.UTC(2026, 10, 23, 11), Date.UTC(2026, 10, 23, 10)]);
    // 70b at 10:00: a (1000 + 500), b (3000 + 1000), c (1500 + 500) = 7,500 tokens (UInt64 → number, not BigInt)
    expect(byName.get('tokens')!.values[0]).toBe(7500);
    expect(typeof byName.get('tokens')!.values[0]).toBe('number');
    expect(byName.get('cost_usd')!.config.unit).toBe('currencyUSD');
    expect(byName.get('error_rate')!.config.unit).toBe('percentunit');
    expect(byName.get('ttft_ms_p95')!.config.unit).toBe('ms');
    expect(arrow.length).toBe(3);
  });

  it('keeps Arrow nulls as null (a KPI undefined for a row), never 0', () => {
    // the empty-window quotas: globex has no quota → quota_used_ratio null in JSON; build a frame with nulls
    const f = rowsToFrame([
      { tenant: 'a', quota_used_ratio: null },
      { tenant: 'b', quota_used_ratio: 0.5 },
    ]);
    expect(f.fields[1]!.values).toEqual([null, 0.5]);
    expect(f.fields[1]!.type).toBe(FieldType.number);
  });
});

describe('frameToCsv', () => {
  it('writes KPIS.md names, raw values, ISO time, empty cells for null, RFC 4180 quoting', () => {
    const f = rowsToFrame([
      { tenant: 'acme, inc', hour: '2026-11-23T10:00:00Z', cost_usd: 5.211842, gross_margin: null },
      { tenant: 'say "hi"', hour: '2026-11-23T11:00:00Z', cost_usd: 0, gross_margin: -1.5 },
    ]);
    expect(frameToCsv(f)).toBe(
      'tenant,hour,cost_usd,gross_margin\r\n' +
        '"acme, inc",2026-11-23T10:00:00.000Z,5.211842,\r\n' +
        '"say ""hi""",2026-11-23T11:00:00.000Z,0,-1.5\r\n'
    );
    expect(frameToCsv(f, ['cost_usd', 'tenant'])).toBe('cost_usd,tenant\r\n5.211842,"acme, inc"\r\n0,"say ""hi"""\r\n');
  });
});
