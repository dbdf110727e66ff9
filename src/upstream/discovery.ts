import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import type { HostPort } from '../config/parsers.js';

/** Finds the addresses (A and AAAA) a host name stands for; an IP literal stands for itself. */
export type AddressLookup = (host: string) => Promise<string[]>;

/**
 * The lookup of one gateway. By default the system's resolver (getaddrinfo: /etc/hosts, the
 * cluster DNS, compose's embedded DNS), which returns every address of a Kubernetes headless
 * Service or a scaled compose service; with `servers`, those DNS servers are asked for A and AAAA
 * records directly (SERVICE_DNS_SERVERS).
 */
export function createAddressLookup(servers: readonly HostPort[] | undefined): AddressLookup {
  if (servers === undefined) {
    return async (host) => {
      if (isIP(host) !== 0) return [host];
      const found = await dns.lookup(host, { all: true });
      return unique(found.map((entry) => entry.address));
    };
  }
  const resolver = new dns.Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers(servers.map(({ host, port }) => (isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`)));
  return async (host) => {
    if (isIP(host) !== 0) return [host];
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    // A name with records of one family only answers the other with ENODATA: that is no failure.
    if (addresses.length === 0)
      throw v4.status === 'rejected' ? v4.reason : new Error(`${host} has no A or AAAA record`);
    return unique(addresses);
  };
}

function unique(addresses: string[]): string[] {
  return [...new Set(addresses)];
}
