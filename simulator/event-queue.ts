/**
 * The engine's event queue: a binary min-heap by (time, insertion order), so events at
 * the same time run in the order they were scheduled — a deterministic order.
 */

export interface QueuedEvent<B> {
  t: number;
  seq: number;
  body: B;
}

export class EventQueue<B> {
  private readonly items: QueuedEvent<B>[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(t: number, body: B): void {
    const e = { t, seq: this.seq++, body };
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (!before(e, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = e;
  }

  peek(): QueuedEvent<B> | undefined {
    return this.items[0];
  }

  pop(): QueuedEvent<B> | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      const n = a.length;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = -1;
        let best = last;
        if (l < n && before(a[l]!, best)) (m = l), (best = a[l]!);
        if (r < n && before(a[r]!, best)) (m = r), (best = a[r]!);
        if (m < 0) break;
        a[i] = best;
        i = m;
      }
      a[i] = last;
    }
    return top;
  }
}

function before<B>(x: QueuedEvent<B>, y: QueuedEvent<B>): boolean {
  return x.t < y.t || (x.t === y.t && x.seq < y.seq);
}
