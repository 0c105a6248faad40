/**
 * A whole OTLP file → raw rows. A `.pb` file holds one protobuf export request; a JSON
 * file holds one OTLP/JSON export request, or one per line (JSON Lines, as the
 * collector's file exporter writes them), each line of any signal. Errors point into the
 * file: line and column for JSON (a line's error carries the file's line number).
 */
import { DecodeError } from '../../core/errors.js';
import { RAW_TABLES, emptyRawRows, type RawRows } from '../../core/schema/otel-rows.js';
import { decodeOtlp, type DecodeOtlpOptions } from './decode-otlp.js';
import { jsonErrorOffset } from './json-syntax.js';

export type { OtlpSignal } from './decode-otlp.js';

export function decodeOtlpFile(content: Uint8Array | string, options: DecodeOtlpOptions): RawRows {
  if (options.format === 'protobuf') {
    if (typeof content === 'string') throw new TypeError('an OTLP/protobuf file must be read as bytes');
    return decodeOtlp(content, options);
  }
  const text = typeof content === 'string' ? content : new TextDecoder().decode(content);
  const lines = jsonLines(text);
  if (lines === undefined) return decodeOtlp(text, options);
  const rows = emptyRawRows();
  for (const { text: line, number } of lines) {
    let decoded: RawRows;
    try {
      decoded = decodeOtlp(line, { format: 'json', signal: options.signal });
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      const at = e.position.line === undefined ? { line: number } : { line: number, column: e.position.column };
      throw new DecodeError(e.reason, { ...e.position, ...at }, { cause: e });
    }
    for (const table of RAW_TABLES) {
      const into = rows[table] as unknown[];
      for (const row of decoded[table]) into.push(row);
    }
  }
  return rows;
}

/**
 * The non-blank lines with their 1-based numbers when `text` is JSON Lines (more than one
 * line, the first of them a complete JSON value), else `undefined` (one document, which
 * may be pretty-printed over many lines).
 */
function jsonLines(text: string): { text: string; number: number }[] | undefined {
  const lines = text
    .split('\n')
    .map((line, i) => ({ text: line, number: i + 1 }))
    .filter((line) => line.text.trim() !== '');
  if (lines.length < 2 || jsonErrorOffset(lines[0]!.text) !== -1) return undefined;
  return lines;
}
