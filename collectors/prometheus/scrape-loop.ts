/**
 * The scrape loop: every target on its own timer (`interval_s`; a target's first scrape
 * is spread over its interval by a hash of its URL, as Prometheus spreads them), never two
 * scrapes of one target at once, each bounded by `timeout_s`. Per scrape, like
 * Prometheus, the series `up` (1 or 0), `scrape_duration_seconds` and
 * `scrape_samples_scraped` of the target, with its job/instance resource and config
 * labels; series that vanished are stale (see scrape-staleness.ts; markers written when
 * `staleMarkers` is on). The rows go to `sink` (the spool); scrape health also goes to
 * the collector's own metrics.
 */
import { createHash } from 'node:crypto';
import type { ScrapeTarget } from '../../core/config/schema.js';
import { RAW_TABLES, type RawRows } from '../../core/schema/otel-rows.js';
import type { CollectorMetrics } from '../observability/collector-metrics.js';
import { parseExposition } from './parse-exposition.js';
import { StalenessTracker } from './scrape-staleness.js';
import { instanceOf, scrapeTarget, type ScrapeOutcome } from './scrape-target.js';
import { expositionToRows } from './to-otel-rows.js';
import { msToUnixNano } from './unix-nano.js';

/** Takes the rows of one scrape; resolves once they are spooled. */
export type ScrapeSink = (rows: Partial<RawRows>, items: number) => Promise<void>;

export interface ScraperOptions {
  sink: ScrapeSink;
  metrics: CollectorMetrics;
  /** write staleness markers (Flags = 1, no value) for vanished series; default false */
  staleMarkers?: boolean;
  fetch?: typeof fetch;
  /** the clock (unix ms), for tests */
  now?: () => number;
  onEvent?: (e: ScrapeEvent) => void;
}

export type ScrapeEvent =
  | { kind: 'scraped'; target: ScrapeTarget; outcome: ScrapeOutcome; stale: number; items: number }
  | { kind: 'note'; target: ScrapeTarget; note: string }
  | { kind: 'sink-failed'; target: ScrapeTarget; error: unknown };

interface TargetState {
  target: ScrapeTarget;
  instance: string;
  staleness: StalenessTracker;
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  notes: Set<string>;
}

export class Scraper {
  private readonly states: TargetState[];
  private stopped = true;

  constructor(
    targets: readonly ScrapeTarget[],
    private readonly opts: ScraperOptions,
  ) {
    this.states = targets.map((target) => ({ target, instance: instanceOf(target.url), staleness: new StalenessTracker(), timer: undefined, running: undefined, notes: new Set() }));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const s of this.states) {
      const intervalMs = s.target.interval_s * 1000;
      const offset = createHash('sha256').update(s.target.url).digest().readUInt32BE(0) % Math.max(1, Math.min(intervalMs, 5000));
      this.schedule(s, offset);
    }
  }

  /** Stops the timers and waits for scrapes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.states) if (s.timer) clearTimeout(s.timer);
    await Promise.all(this.states.map((s) => s.running));
  }

  /** Scrapes every target once now (tests; a manual refresh). */
  async scrapeAll(): Promise<void> {
    await Promise.all(this.states.map((s) => this.runOnce(s)));
  }

  private schedule(s: TargetState, delayMs: number): void {
    if (this.stopped) return;
    s.timer = setTimeout(() => {
      const started = Date.now();
      void this.runOnce(s).finally(() => this.schedule(s, Math.max(0, s.target.interval_s * 1000 - (Date.now() - started))));
    }, delayMs);
  }

  private runOnce(s: TargetState): Promise<void> {
    s.running ??= this.scrape(s).finally(() => {
      s.running = undefined;
    });
    return s.running;
  }

  private async scrape(s: TargetState): Promise<void> {
    const { target } = s;
    const startMs = (this.opts.now ?? Date.now)();
    const outcome = await scrapeTarget(target, { startMs, ...(this.opts.fetch ? { fetch: this.opts.fetch } : {}) });
    const labels = { job: target.job, instance: s.instance };
    const m = this.opts.metrics;
    m.scrapeUp.set(labels, outcome.ok ? 1 : 0);
    m.scrapeDurationSeconds.set(labels, outcome.durationS);
    m.scrapes.inc({ ...labels, result: outcome.ok ? 'ok' : outcome.result });
    const samples = outcome.ok ? outcome.samples : 0;
    m.scrapeSamples.set(labels, samples);
    if (outcome.ok) {
      for (const note of outcome.notes) {
        if (s.notes.has(note)) continue;
        s.notes.add(note);
        this.opts.onEvent?.({ kind: 'note', target, note });
      }
    }
    const vanished = s.staleness.observe(outcome.ok ? outcome.rows : undefined);
    m.scrapeStaleSeries.set(labels, vanished.length);
    const timeNs = msToUnixNano(startMs);
    const parts: Partial<RawRows>[] = [];
    if (outcome.ok) parts.push(outcome.rows);
    parts.push(healthRows(target, s.instance, timeNs, outcome.ok, outcome.durationS, samples));
    if (this.opts.staleMarkers && vanished.length > 0) parts.push(StalenessTracker.markers(vanished, timeNs));
    const rows = mergeRows(parts);
    const items = RAW_TABLES.reduce((n, t) => n + (rows[t]?.length ?? 0), 0);
    try {
      await this.opts.sink(rows, items);
      m.receivedItems.inc({ signal: 'metrics', source: 'scrape' }, items);
    } catch (error) {
      this.opts.onEvent?.({ kind: 'sink-failed', target, error });
    }
    this.opts.onEvent?.({ kind: 'scraped', target, outcome, stale: vanished.length, items });
  }
}

/** `up`, `scrape_duration_seconds`, `scrape_samples_scraped` of a target at `timeNs`, decoded like any exposition. */
export function healthRows(target: ScrapeTarget, instance: string, timeNs: string, up: boolean, durationS: number, samples: number): RawRows {
  const text = `# TYPE up gauge\nup ${up ? 1 : 0}\n# TYPE scrape_duration_seconds gauge\nscrape_duration_seconds ${durationS}\n# TYPE scrape_samples_scraped gauge\nscrape_samples_scraped ${samples}\n`;
  return expositionToRows(parseExposition(text, { dialect: 'prometheus' }), { job: target.job, instance, defaultTimeNs: timeNs, extraLabels: target.labels, scheme: new URL(target.url).protocol.replace(/:$/, '') });
}

function mergeRows(parts: readonly Partial<RawRows>[]): Partial<RawRows> {
  const out: Partial<RawRows> = {};
  for (const p of parts) {
    for (const t of RAW_TABLES) {
      const list = p[t] as unknown[] | undefined;
      if (!list || list.length === 0) continue;
      const into = (out[t] ??= []) as unknown[];
      for (const row of list) into.push(row);
    }
  }
  return out;
}
