/**
 * The resource of a scrape target, as otelcol-contrib's prometheus receiver builds it
 * (`receiver/prometheusreceiver/internal/prom_to_otlp.go`, CreateResource), without the
 * Kubernetes service-discovery attributes a standalone payload cannot know.
 */
import { BlockList, isIP } from 'node:net';
import type { Attributes } from '../../core/schema/otel-rows.js';

/** `service.name`, `server.address` (a discernible host only), `service.instance.id`, `server.port` ("" when none), `url.scheme`. */
export function resourceAttributes(job: string, instance: string, scheme: string): Attributes {
  const split = splitHostPort(instance);
  const host = split?.host ?? instance;
  const attrs: Attributes = { 'service.name': job };
  if (isDiscernibleHost(host)) attrs['server.address'] = host;
  attrs['service.instance.id'] = instance;
  attrs['server.port'] = split?.port ?? '';
  attrs['url.scheme'] = scheme;
  return attrs;
}

/** Go's net.SplitHostPort: `host:port` or `[ipv6]:port`; undefined when it is neither. */
export function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return undefined;
  let host: string;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0 || close + 1 !== colon) return undefined;
    host = hostport.slice(1, close);
  } else {
    host = hostport.slice(0, colon);
    if (host.includes(':')) return undefined; // too many colons
  }
  const port = hostport.slice(colon + 1);
  if (host.includes('[') || host.includes(']') || port.includes('[') || port.includes(']')) return undefined;
  return { host, port };
}

const NON_DISCERNIBLE = new BlockList();
NON_DISCERNIBLE.addSubnet('127.0.0.0', 8, 'ipv4');
NON_DISCERNIBLE.addAddress('0.0.0.0', 'ipv4');
NON_DISCERNIBLE.addAddress('::1', 'ipv6');
NON_DISCERNIBLE.addAddress('::', 'ipv6');

/** Not localhost, a loopback or the unspecified address (the receiver's isDiscernibleHost). */
function isDiscernibleHost(host: string): boolean {
  const family = isIP(host);
  if (family !== 0) return !NON_DISCERNIBLE.check(host, family === 6 ? 'ipv6' : 'ipv4');
  return host !== 'localhost';
}
