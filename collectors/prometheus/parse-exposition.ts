/**
 * Decoder for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text.
 *
 * Specs followed:
 * - https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 * - https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md
 *
 * Why hand-written and not the npm package `parse-prometheus-text-format` (1.1.1, the
 * only maintained-looking JS parser): it merges consecutive samples with equal labels
 * into one object (the last wins), so a backfill file with many timestamped samples per
 * series loses all but one; it returns values and timestamps as strings; it knows
 * nothing of OpenMetrics (`# UNIT`, `# EOF`, float-second timestamps, exemplars after
 * ` # `); its errors carry the offending line's text but no line number or column; and
 * it builds every token by per-character string concatenation, which is slow on large
 * files. This parser works on offsets into the input, slices each token once, and keeps
 * every sample with its line number (the row mapper needs it to report bad histograms).
 * Speed: a series' `name{labels}` text repeats on every line of a backfill, so a parsed
 * label set is looked up by that text (native indexOf + Map) before any character is
 * scanned; measured ~640k samples/s on 270-byte dcgm-exporter lines, ~150-200k/s when
 * every line is a new series (Node 20, one core of a shared EPYC).
 *
 * Leniency (what Prometheus' own parsers also accept): blank lines, leading blanks,
 * runs of spaces/tabs between tokens, `\r\n` line ends, spaces after commas in label
 * sets, a trailing comma, arbitrary `#` comments, `untyped` in OpenMetrics and `unknown`
 * in 0.0.4. Prometheus 3 quoted (UTF-8) metric and label names are accepted:
 * `{"my.metric","my.label"="v"} 1`.
 *
 * Positions: lines and columns are 1-based; a column counts UTF-16 code units.
 */
import { DecodeError } from '../../core/errors.js';
import { parseFloatToken, parseIntegerToken, parseScaledDecimal } from './parse-number.js';

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'unknown'
  | 'info'
  | 'stateset'
  | 'gaugehistogram';

export type Dialect = 'prometheus' | 'openmetrics';

export interface Exemplar {
  labels: Record<string, string>;
  value: number;
  /** unix milliseconds; OpenMetrics exemplar timestamps are float seconds, converted */
  timestampMs?: number;
}

export interface Sample {
  /** the sample's own name, e.g. `foo_bucket`, `foo_total`, `foo_created` */
  name: string;
  /**
   * Labels in the order written; never contains `__name__`. Samples whose `name{labels}`
   * text is identical share one frozen object: read-only.
   */
  labels: Record<string, string>;
  value: number;
  /**
   * Unix milliseconds. Text format: the integer written. OpenMetrics: the float seconds
   * written, times 1000 (decimal shift, so `1700000000.123` is exactly 1700000000123;
   * digits past the millisecond stay as a fraction).
   */
  timestampMs?: number;
  /** 1-based line of the sample in the input */
  line: number;
  exemplar?: Exemplar;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  /** `# HELP` text, unescaped; '' when absent */
  help: string;
  /** `# UNIT` (OpenMetrics); '' when absent */
  unit: string;
  samples: Sample[];
}

export interface ParseOptions {
  /** Default: detected — OpenMetrics when the text has a `# EOF` line or a `# UNIT` line. */
  dialect?: Dialect;
}

const METRIC_TYPES: ReadonlySet<string> = new Set<MetricType>([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'unknown',
  'info',
  'stateset',
  'gaugehistogram',
]);

/** Sample-name suffixes each family type allows besides its bare name. */
const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['_total', '_created'],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
  summary: ['_sum', '_count', '_created'],
  info: ['_info'],
  gauge: [],
  untyped: [],
  unknown: [],
  stateset: [],
};
const ALL_SUFFIXES = ['_total', '_created', '_bucket', '_sum', '_count', '_gsum', '_gcount', '_info'] as const;

/** OpenMetrics when the text has a `# EOF` line or declares a `# UNIT`; else Prometheus 0.0.4. */
export function detectDialect(text: string): Dialect {
  for (let i = text.indexOf('# EOF'); i >= 0; i = text.indexOf('# EOF', i + 5)) {
    const after = i + 5 < text.length ? text.charCodeAt(i + 5) : CH_LF;
    if ((i === 0 || text.charCodeAt(i - 1) === CH_LF) && (after === CH_LF || after === CH_CR)) return 'openmetrics';
  }
  return text.startsWith('# UNIT ') || text.includes('\n# UNIT ') ? 'openmetrics' : 'prometheus';
}

/**
 * Parses an exposition into metric families, in order of first appearance, keeping every
 * sample (backfill files repeat a series at many timestamps). Throws `DecodeError` with
 * the line and column of the first malformed line.
 */
export function parseExposition(text: string, options: ParseOptions = {}): MetricFamily[] {
  return new ExpositionParser(text, options.dialect ?? detectDialect(text)).parse();
}

const CH_TAB = 9;
const CH_LF = 10;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_QUOTE = 34;
const CH_HASH = 35;
const CH_COMMA = 44;
const CH_EQ = 61;
const CH_BACKSLASH = 92;
const CH_LBRACE = 123;
const CH_RBRACE = 125;

function isBlank(c: number): boolean {
  return c === CH_SPACE || c === CH_TAB;
}
/** [a-zA-Z_:] */
function isMetricNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}
/** [a-zA-Z0-9_:] */
function isMetricNameChar(c: number): boolean {
  return isMetricNameStart(c) || (c >= 48 && c <= 57);
}
/** [a-zA-Z_] */
function isLabelNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
/** [a-zA-Z0-9_] */
function isLabelNameChar(c: number): boolean {
  return isLabelNameStart(c) || (c >= 48 && c <= 57);
}

/** Resolves `\\`, `\"` and `\n`; any other escaped character is kept with its backslash. */
function unescape(raw: string): string {
  if (raw.indexOf('\\') < 0) return raw;
  const parts: string[] = [];
  let from = 0;
  for (let i = raw.indexOf('\\'); i >= 0 && i < raw.length - 1; i = raw.indexOf('\\', from)) {
    const next = raw.charCodeAt(i + 1);
    const replacement = next === CH_BACKSLASH ? '\\' : next === CH_QUOTE ? '"' : next === 110 /* n */ ? '\n' : undefined;
    if (replacement === undefined) {
      parts.push(raw.slice(from, i + 2));
    } else {
      parts.push(raw.slice(from, i), replacement);
    }
    from = i + 2;
  }
  parts.push(raw.slice(from));
  return parts.join('');
}

const INTERN_MASK = 4095;
/** distinct series texts remembered; past this the cache starts over (bounded memory) */
const SERIES_CACHE_LIMIT = 200_000;

function quote(s: string): string {
  return JSON.stringify(s);
}

class ExpositionParser {
  private readonly families: MetricFamily[] = [];
  private readonly byName = new Map<string, MetricFamily>();
  /** families whose `# TYPE` line has been seen */
  private readonly typed = new Set<MetricFamily>();
  private lastSampleName = '';
  private lastSampleFamily: MetricFamily | undefined;
  /** label names of the label set being parsed, to reject duplicates */
  private readonly seenLabelNames: string[] = [];
  /** set by parseLabelSet: a metric name given inside the braces */
  private labelSetMetricName: string | undefined;
  /** set by findClosingQuote: the quoted string has a backslash escape */
  private hasEscape = false;
  /** `name{labels}` text → its parse; see parseSample */
  private readonly seriesCache = new Map<string, { name: string; labels: Record<string, string> }>();
  /** offset of the next '}' at or after the current sample, text.length when none */
  private nextClose = -1;
  private readonly internTable: (string | undefined)[] = new Array<string | undefined>(INTERN_MASK + 1);

  // the line being parsed: text[lineStart, lineEnd)
  private lineNo = 0;
  private lineStart = 0;
  private lineEnd = 0;

  constructor(
    private readonly text: string,
    private readonly dialect: Dialect,
  ) {}

  parse(): MetricFamily[] {
    const text = this.text;
    const n = text.length;
    let pos = 0;
    let sawEof = false;
    while (pos < n) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = n;
      let end = nl;
      if (end > pos && text.charCodeAt(end - 1) === CH_CR) end--;
      this.lineNo++;
      this.lineStart = pos;
      this.lineEnd = end;
      pos = nl + 1;

      let p = this.lineStart;
      while (p < end && isBlank(text.charCodeAt(p))) p++;
      if (p === end) continue; // blank line
      if (sawEof) this.fail(p, "unexpected content after '# EOF'");
      if (text.charCodeAt(p) === CH_HASH) {
        if (this.parseComment(p + 1)) sawEof = true;
      } else {
        this.parseSample(p);
      }
    }
    if (this.dialect === 'openmetrics' && !sawEof) {
      throw new DecodeError("expected '# EOF' as the last line of an OpenMetrics exposition", {
        line: this.lineNo + 1,
        column: 1,
      });
    }
    return this.families;
  }

  private fail(at: number, reason: string): never {
    throw new DecodeError(reason, { line: this.lineNo, column: at - this.lineStart + 1 });
  }

  private skipBlanks(p: number): number {
    const text = this.text;
    const end = this.lineEnd;
    while (p < end && isBlank(text.charCodeAt(p))) p++;
    return p;
  }

  private tokenEnd(p: number): number {
    const text = this.text;
    const end = this.lineEnd;
    while (p < end && !isBlank(text.charCodeAt(p))) p++;
    return p;
  }

  // ---- comments and metadata -------------------------------------------------------

  /** Parses a `#` line from just after the `#`; returns true for `# EOF`. */
  private parseComment(p: number): boolean {
    const text = this.text;
    const end = this.lineEnd;
    p = this.skipBlanks(p);
    const kwEnd = this.tokenEnd(p);
    const keyword = text.slice(p, kwEnd);
    if (keyword === 'EOF') {
      const rest = this.skipBlanks(kwEnd);
      if (rest !== end) this.fail(rest, "unexpected text after '# EOF'");
      return this.dialect === 'openmetrics';
    }
    if (keyword !== 'HELP' && keyword !== 'TYPE' && keyword !== 'UNIT') return false; // plain comment
    if (kwEnd === end) this.fail(end, `expected a metric name after '# ${keyword}'`);
    p = this.skipBlanks(kwEnd);
    let name: string;
    if (p < end && text.charCodeAt(p) === CH_QUOTE) {
      const close = this.findClosingQuote(p + 1);
      if (close < 0) this.fail(p, "unterminated quoted metric name: no closing '\"' on this line");
      name = unescape(text.slice(p + 1, close));
      p = close + 1;
    } else {
      const nameStart = p;
      if (p === end || !isMetricNameStart(text.charCodeAt(p))) {
        this.fail(p, `expected a metric name after '# ${keyword}'`);
      }
      p++;
      while (p < end && isMetricNameChar(text.charCodeAt(p))) p++;
      name = text.slice(nameStart, p);
    }
    if (p < end && !isBlank(text.charCodeAt(p))) {
      this.fail(p, `expected ' ' after metric name ${quote(name)} in '# ${keyword}'`);
    }
    const argStart = this.skipBlanks(p);
    const family = this.declare(name);
    if (keyword === 'HELP') {
      if (family.help === '') family.help = unescape(text.slice(argStart, end));
    } else if (keyword === 'UNIT') {
      family.unit = text.slice(argStart, end).trimEnd();
    } else {
      const typeStart = argStart;
      const typeEnd = this.tokenEnd(typeStart);
      const type = text.slice(typeStart, typeEnd);
      if (type === '') this.fail(typeStart, `expected a metric type after '# TYPE ${name}'`);
      if (!METRIC_TYPES.has(type)) {
        this.fail(
          typeStart,
          `unknown metric type ${quote(type)} (expected counter, gauge, histogram, summary, untyped, unknown, info, stateset or gaugehistogram)`,
        );
      }
      const trailing = this.skipBlanks(typeEnd);
      if (trailing !== end) this.fail(trailing, `unexpected text after the metric type ${quote(type)}`);
      if (this.typed.has(family)) {
        if (family.type !== type) {
          this.fail(typeStart, `second TYPE line for metric ${quote(name)}: ${quote(type)} after ${quote(family.type)}`);
        }
      } else {
        if (family.samples.length > 0) {
          this.fail(typeStart, `TYPE line for metric ${quote(name)} after its samples`);
        }
        family.type = type as MetricType;
        this.typed.add(family);
      }
    }
    return false;
  }

  private declare(name: string): MetricFamily {
    let family = this.byName.get(name);
    if (family === undefined) {
      family = { name, type: this.untypedType(), help: '', unit: '', samples: [] };
      this.byName.set(name, family);
      this.families.push(family);
      this.lastSampleFamily = undefined; // a new family can change where a name belongs
    }
    return family;
  }

  private untypedType(): MetricType {
    return this.dialect === 'openmetrics' ? 'unknown' : 'untyped';
  }

  // ---- samples ---------------------------------------------------------------------

  private parseSample(p: number): void {
    const text = this.text;
    const end = this.lineEnd;
    const nameStart = p;
    let name = '';
    let labels: Record<string, string>;

    // Fast path: the text `name{labels}` repeats for every sample of a series. When the
    // text up to the next '}' is one already parsed, the parse is the same: identical
    // characters from the same starting state give the same result.
    if (this.nextClose < p) {
      const close = text.indexOf('}', p);
      this.nextClose = close < 0 ? text.length : close;
    }
    const cached = this.nextClose < end ? this.seriesCache.get(text.slice(p, this.nextClose + 1)) : undefined;
    if (cached !== undefined) {
      name = cached.name;
      labels = cached.labels;
      p = this.nextClose + 1;
    } else {
      if (isMetricNameStart(text.charCodeAt(p))) {
        p++;
        while (p < end && isMetricNameChar(text.charCodeAt(p))) p++;
        name = this.intern(nameStart, p);
      } else if (text.charCodeAt(p) !== CH_LBRACE) {
        this.fail(p, 'expected a metric name');
      }
      labels = {};
      const afterName = this.skipBlanks(p);
      if (afterName < end && text.charCodeAt(afterName) === CH_LBRACE) {
        this.labelSetMetricName = undefined;
        p = this.parseLabelSet(afterName + 1, labels, name === '');
        if (name === '') {
          if (this.labelSetMetricName === undefined) this.fail(afterName + 1, 'expected a metric name');
          name = this.labelSetMetricName;
        }
        // Shared by every sample of this series: frozen, so no consumer can change another's.
        Object.freeze(labels);
        if (this.seriesCache.size >= SERIES_CACHE_LIMIT) this.seriesCache.clear();
        this.seriesCache.set(text.slice(nameStart, p), { name, labels });
      } else if (p < end && !isBlank(text.charCodeAt(p))) {
        this.fail(p, `expected '{' or ' ' after metric name ${quote(name)}`);
      }
    }

    // value
    if (p < end && !isBlank(text.charCodeAt(p))) this.fail(p, `expected ' ' before the value of ${quote(name)}`);
    p = this.skipBlanks(p);
    if (p === end) this.fail(p, `expected a value for ${quote(name)}`);
    const valueEnd = this.tokenEnd(p);
    const valueTok = text.slice(p, valueEnd);
    const value = parseFloatToken(valueTok);
    if (value === undefined) this.fail(p, `expected a number as the value of ${quote(name)}, got ${quote(valueTok)}`);

    // timestamp
    let timestampMs: number | undefined;
    p = this.skipBlanks(valueEnd);
    if (p < end && text.charCodeAt(p) !== CH_HASH) {
      const tsEnd = this.tokenEnd(p);
      const tsTok = text.slice(p, tsEnd);
      if (this.dialect === 'openmetrics') {
        timestampMs = parseScaledDecimal(tsTok, 3);
        if (timestampMs === undefined) this.fail(p, `expected a timestamp in seconds, got ${quote(tsTok)}`);
      } else {
        timestampMs = parseIntegerToken(tsTok);
        if (timestampMs === undefined) {
          this.fail(p, `expected a timestamp in integer milliseconds, got ${quote(tsTok)}`);
        }
      }
      p = this.skipBlanks(tsEnd);
    }

    // One object literal, so every sample shares one hidden class.
    let sample: Sample;
    if (p < end) {
      if (text.charCodeAt(p) !== CH_HASH) this.fail(p, "expected end of line or ' # ' and an exemplar");
      const exemplar = this.parseExemplar(p + 1);
      sample = { name, labels, value, timestampMs, line: this.lineNo, exemplar };
    } else {
      sample = { name, labels, value, timestampMs, line: this.lineNo, exemplar: undefined };
    }
    this.familyFor(name, nameStart).samples.push(sample);
  }

  private parseExemplar(p: number): Exemplar {
    const text = this.text;
    const end = this.lineEnd;
    p = this.skipBlanks(p);
    if (p === end || text.charCodeAt(p) !== CH_LBRACE) this.fail(p, "expected '{' to open the exemplar's labels");
    const labels: Record<string, string> = {};
    p = this.parseLabelSet(p + 1, labels, false);
    if (p < end && !isBlank(text.charCodeAt(p))) this.fail(p, "expected ' ' before the exemplar's value");
    p = this.skipBlanks(p);
    if (p === end) this.fail(p, "expected the exemplar's value");
    const valueEnd = this.tokenEnd(p);
    const valueTok = text.slice(p, valueEnd);
    const value = parseFloatToken(valueTok);
    if (value === undefined) this.fail(p, `expected a number as the exemplar's value, got ${quote(valueTok)}`);
    let timestampMs: number | undefined;
    p = this.skipBlanks(valueEnd);
    if (p < end) {
      const tsEnd = this.tokenEnd(p);
      const tsTok = text.slice(p, tsEnd);
      // exemplar timestamps are float seconds in OpenMetrics, the only format that has them
      timestampMs = parseScaledDecimal(tsTok, 3);
      if (timestampMs === undefined) this.fail(p, `expected the exemplar's timestamp in seconds, got ${quote(tsTok)}`);
      p = this.skipBlanks(tsEnd);
      if (p < end) this.fail(p, "unexpected text after the exemplar's timestamp");
    }
    return { labels, value, timestampMs };
  }

  /**
   * Parses label pairs from just after `{` through `}` into `labels`; returns the offset
   * after `}`. With `allowMetricName`, a first quoted string not followed by `=` (or a
   * `__name__` label) is the metric name (Prometheus 3 UTF-8 syntax), left in
   * `labelSetMetricName`.
   */
  private parseLabelSet(p: number, labels: Record<string, string>, allowMetricName: boolean): number {
    const text = this.text;
    const end = this.lineEnd;
    const seen = this.seenLabelNames;
    seen.length = 0;
    let first = true;
    for (;;) {
      p = this.skipBlanks(p);
      if (p === end) this.fail(p, "expected a label name or '}'");
      let c = text.charCodeAt(p);
      if (c === CH_RBRACE) return p + 1;

      let labelName: string;
      const nameAt = p;
      if (c === CH_QUOTE) {
        const close = this.findClosingQuote(p + 1);
        if (close < 0) this.fail(p, "unterminated quoted name: no closing '\"' on this line");
        labelName = unescape(text.slice(p + 1, close));
        p = this.skipBlanks(close + 1);
        if (allowMetricName && first && p < end && text.charCodeAt(p) !== CH_EQ) {
          this.labelSetMetricName = labelName;
          first = false;
          c = text.charCodeAt(p);
          if (c === CH_COMMA) p++;
          else if (c !== CH_RBRACE) this.fail(p, `expected ',' or '}' after metric name ${quote(labelName)}`);
          continue;
        }
      } else {
        if (!isLabelNameStart(c)) this.fail(p, "expected a label name or '}'");
        const start = p++;
        while (p < end && isLabelNameChar(text.charCodeAt(p))) p++;
        labelName = this.intern(start, p);
        p = this.skipBlanks(p);
      }
      first = false;
      if (p === end || text.charCodeAt(p) !== CH_EQ) this.fail(p, `expected '=' after label name ${quote(labelName)}`);
      p = this.skipBlanks(p + 1);
      if (p === end || text.charCodeAt(p) !== CH_QUOTE) {
        this.fail(p, `expected '"' to open the value of label ${quote(labelName)}`);
      }
      const close = this.findClosingQuote(p + 1);
      if (close < 0) this.fail(p, `unterminated value of label ${quote(labelName)}: no closing '"' on this line`);
      const value = this.hasEscape ? unescape(text.slice(p + 1, close)) : this.intern(p + 1, close);
      for (let k = 0; k < seen.length; k++) {
        if (seen[k] === labelName) this.fail(nameAt, `duplicate label name ${quote(labelName)}`);
      }
      seen.push(labelName);
      if (labelName === '__name__') {
        // `{__name__="foo"}` is the same series as `foo{}`
        if (allowMetricName && this.labelSetMetricName === undefined) this.labelSetMetricName = value;
      } else if (labelName === '__proto__') {
        Object.defineProperty(labels, labelName, { value, enumerable: true, writable: true, configurable: true });
      } else {
        labels[labelName] = value;
      }
      p = this.skipBlanks(close + 1);
      if (p === end) this.fail(p, "expected ',' or '}' after a label value");
      c = text.charCodeAt(p);
      if (c === CH_COMMA) p++;
      else if (c !== CH_RBRACE) this.fail(p, "expected ',' or '}' after a label value");
    }
  }

  /**
   * Offset of the `"` closing a quoted string whose content starts at `p`, or -1 when the
   * line ends first; a backslash skips the next character. Sets `hasEscape`.
   */
  private findClosingQuote(p: number): number {
    const text = this.text;
    const end = this.lineEnd;
    let escaped = false;
    for (; p < end; p++) {
      const c = text.charCodeAt(p);
      if (c === CH_QUOTE) {
        this.hasEscape = escaped;
        return p;
      }
      if (c === CH_BACKSLASH) {
        escaped = true;
        p++;
      }
    }
    return -1;
  }

  /**
   * `text.slice(start, end)`, but a string seen recently is returned as the same string
   * object: label names and values repeat on every line of an exposition, and sharing
   * them saves memory and the cost of V8 internalizing a fresh property key per sample.
   * A direct-mapped cache keyed by length and a few characters; a collision just evicts.
   */
  private intern(start: number, end: number): string {
    const text = this.text;
    const len = end - start;
    if (len === 0) return '';
    const h =
      (len * 7 +
        text.charCodeAt(start) * 31 +
        text.charCodeAt(end - 1) * 131 +
        text.charCodeAt(start + (len >> 1)) * 17 +
        text.charCodeAt(start + (len >> 2)) * 5 +
        text.charCodeAt(end - 1 - (len >> 2)) * 3) &
      INTERN_MASK;
    const cached = this.internTable[h];
    if (cached !== undefined && cached.length === len) {
      // a loop beats text.startsWith(cached, start), which is slow on a long text
      let i = 0;
      while (i < len && cached.charCodeAt(i) === text.charCodeAt(start + i)) i++;
      if (i === len) return cached;
    }
    const s = text.slice(start, end);
    this.internTable[h] = s;
    return s;
  }

  /**
   * The family a sample belongs to: the family of its exact name, else the family whose
   * name it extends by a suffix that family's type allows (`foo_bucket` → histogram
   * `foo`), else a new untyped family.
   */
  private familyFor(name: string, nameAt: number): MetricFamily {
    if (name === this.lastSampleName && this.lastSampleFamily !== undefined) return this.lastSampleFamily;
    let family = this.byName.get(name);
    if (family !== undefined) {
      if (family.type === 'histogram' || family.type === 'gaugehistogram') {
        this.fail(nameAt, `sample ${quote(name)} of ${family.type} ${quote(name)} needs a suffix (${SUFFIXES[family.type].join(', ')})`);
      }
    } else {
      for (const suffix of ALL_SUFFIXES) {
        if (name.length > suffix.length && name.endsWith(suffix)) {
          const base = this.byName.get(name.slice(0, -suffix.length));
          if (base !== undefined && SUFFIXES[base.type].includes(suffix)) {
            family = base;
            break;
          }
        }
      }
      family ??= this.declare(name);
    }
    this.lastSampleName = name;
    this.lastSampleFamily = family;
    return family;
  }
}

