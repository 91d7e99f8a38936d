import ipaddr from 'ipaddr.js';

/**
 * Whether an address is on the public internet: not private, loopback, link-local, unique-local, carrier-grade
 * NAT, multicast, reserved or unspecified (ipaddr.js names every special range; only `unicast` is public). An
 * IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  // IPv4-compatible IPv6 (::/96, deprecated): ipaddr calls `::7f00:1` unicast, but it embeds 127.0.0.1.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) return false;
  return parsed.range() === 'unicast';
}
