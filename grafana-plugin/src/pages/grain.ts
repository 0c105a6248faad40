/** Chart buckets: hours up to a week, days beyond (the API's `hour` / `day` dimensions). */
export function timeGrain(from: string, to: string): 'hour' | 'day' {
  return Date.parse(to) - Date.parse(from) > 7 * 24 * 3600 * 1000 ? 'day' : 'hour';
}
