/**
 * token-factory KPI results → @grafana/data DataFrames. `@grafana/data` has no Arrow
 * reader any more, so this is the small converter: one Field per Arrow column (or per
 * key of the JSON rows), typed from the Arrow schema (JSON: from the values), with the
 * KPIS.md name as the field name and a Grafana unit from the name (format.ts). Time
 * dimensions (`hour`, `day`, `ts`, …) arrive as ISO strings and become time fields.
 *
 * Arrow nulls stay null (a KPI undefined for a row is null, never 0); 64-bit integers
 * (BigInt in apache-arrow) become numbers — KPI results are counts and micro-dollars far
 * below 2^53.
 */
import { createDataFrame, FieldType, type DataFrame, type FieldDTO } from '@grafana/data';
import { DataType, tableFromIPC, type Table } from 'apache-arrow';
import { grafanaUnit, kpiKind } from '../format/format';

type Cell = string | number | boolean | null;

function timeValue(v: unknown): number | null {
  if (v === null || v === undefined) {
    return null;
  }
  const ms = typeof v === 'number' ? v : Date.parse(String(v));
  return Number.isNaN(ms) ? null : ms;
}

function numberValue(v: unknown): number | null {
  if (v === null || v === undefined) {
    return null;
  }
  return typeof v === 'bigint' ? Number(v) : Number(v);
}

function field(name: string, type: FieldType, values: unknown[]): FieldDTO {
  if (type === FieldType.time || kpiKind(name) === 'time') {
    return { name, type: FieldType.time, values: values.map(timeValue) };
  }
  return {
    name,
    type,
    values,
    config: type === FieldType.number ? { unit: grafanaUnit(name) } : {},
  };
}

function arrowFieldType(type: DataType): FieldType {
  if (DataType.isInt(type) || DataType.isFloat(type) || DataType.isDecimal(type)) {
    return FieldType.number;
  }
  if (DataType.isBool(type)) {
    return FieldType.boolean;
  }
  if (DataType.isTimestamp(type) || DataType.isDate(type)) {
    return FieldType.time;
  }
  return FieldType.string;
}

/** An Arrow IPC stream (as the API sends it) → one DataFrame. */
export function arrowToFrame(bytes: ArrayBuffer | Uint8Array, name?: string): DataFrame {
  const table: Table = tableFromIPC(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  const fields = table.schema.fields.map((f, i) => {
    const type = arrowFieldType(f.type);
    const vector = table.getChildAt(i);
    const values: unknown[] = [];
    for (let r = 0; r < table.numRows; r++) {
      const v: unknown = vector ? vector.get(r) : null;
      values.push(type === FieldType.number ? numberValue(v) : type === FieldType.string && v !== null && v !== undefined ? String(v) : v ?? null);
    }
    return field(f.name, type, values);
  });
  return createDataFrame({ name, fields });
}

function jsonFieldType(values: Cell[]): FieldType {
  const first = values.find((v) => v !== null && v !== undefined);
  if (typeof first === 'number') {
    return FieldType.number;
  }
  if (typeof first === 'boolean') {
    return FieldType.boolean;
  }
  return FieldType.string;
}

/** The `rows` of a JSON `{window, rows}` answer → one DataFrame (columns in key order). */
export function rowsToFrame(rows: ReadonlyArray<Record<string, Cell>>, name?: string): DataFrame {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const k of Object.keys(row)) {
      if (!seen.has(k)) {
        seen.add(k);
        names.push(k);
      }
    }
  }
  const fields = names.map((n) => {
    const values = rows.map((r) => (r[n] === undefined ? null : r[n]));
    return field(n, jsonFieldType(values), values);
  });
  return createDataFrame({ name, fields });
}

/** The values of a column (undefined when the frame has no such field). */
export function column<T = unknown>(frame: DataFrame, name: string): T[] | undefined {
  const f = frame.fields.find((x) => x.name === name);
  return f ? (f.values as T[]) : undefined;
}

/** Row `i` of a frame as an object keyed by field name (time fields as ms). */
export function rowAt(frame: DataFrame, i: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of frame.fields) {
    out[f.name] = f.values[i];
  }
  return out;
}
