import ipaddr from 'ipaddr.js';

/**
 * Whether an address is on the public internet: not private, loopback, link-local, unique-local, carrier-grade
 * NAT, multicast, reserved or unspecified (ipaddr.js names every special range; only `unicast` is public). An
 * IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}
