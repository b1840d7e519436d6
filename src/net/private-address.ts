import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/** Address ranges a request from this server must not reach on a client's say-so, and why. */
const RANGES: [reason: string, family: 'ipv4' | 'ipv6', network: string, prefix: number][] = [
  ['the unspecified address, which reaches this server', 'ipv4', '0.0.0.0', 8],
  ['a loopback address', 'ipv4', '127.0.0.0', 8],
  ['a private address', 'ipv4', '10.0.0.0', 8],
  ['a private address', 'ipv4', '172.16.0.0', 12],
  ['a private address', 'ipv4', '192.168.0.0', 16],
  ['a carrier-grade NAT address', 'ipv4', '100.64.0.0', 10],
  ['the cloud metadata address', 'ipv4', '169.254.169.254', 32],
  ['a link-local address', 'ipv4', '169.254.0.0', 16],
  ['an IETF protocol address', 'ipv4', '192.0.0.0', 24],
  ['a benchmarking address', 'ipv4', '198.18.0.0', 15],
  ['a multicast address', 'ipv4', '224.0.0.0', 4],
  ['a reserved address', 'ipv4', '240.0.0.0', 4],
  ['the unspecified address, which reaches this server', 'ipv6', '::', 128],
  ['a loopback address', 'ipv6', '::1', 128],
  ['a link-local address', 'ipv6', 'fe80::', 10],
  ['a site-local address', 'ipv6', 'fec0::', 10],
  ['a unique-local address', 'ipv6', 'fc00::', 7],
  ['a multicast address', 'ipv6', 'ff00::', 8],
];

const LISTS = RANGES.map(([reason, family, network, prefix]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { reason, list, family };
});

/**
 * IPv6 forms that carry an IPv4 address a packet may end up at: the hextets where it sits and
 * what to call the form. IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64
 * (64:ff9b::/96) and 6to4 (2002:AABB:CCDD::/16).
 */
const EMBEDDING: { name: string; matches(h: number[]): boolean; at: number }[] = [
  {
    name: 'an IPv4-mapped',
    matches: (h) => h.slice(0, 5).every((x) => x === 0) && h[5] === 0xffff,
    at: 6,
  },
  {
    name: 'an IPv4-compatible',
    matches: (h) => h.slice(0, 6).every((x) => x === 0) && (h[6] !== 0 || (h[7] ?? 0) > 1),
    at: 6,
  },
  {
    name: 'a NAT64',
    matches: (h) => h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0),
    at: 6,
  },
  { name: 'a 6to4', matches: (h) => h[0] === 0x2002, at: 1 },
];

/**
 * Why `address` (an IP literal) must not be reached, or undefined for an ordinary public address.
 * IPv6 forms that embed an IPv4 address are judged by that address.
 */
export function privateAddressReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const hextets = ipv6Hextets(address);
    if (hextets === undefined) return 'not an IP address';
    for (const form of EMBEDDING) {
      if (!form.matches(hextets)) continue;
      const high = hextets[form.at] ?? 0;
      const low = hextets[form.at + 1] ?? 0;
      const v4 = [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
      const reason = rangeReason(v4, 'ipv4');
      if (reason !== undefined) return `${form.name} form of ${reason} (${v4})`;
    }
  }
  return rangeReason(address, family === 4 ? 'ipv4' : 'ipv6');
}

function rangeReason(address: string, family: 'ipv4' | 'ipv6'): string | undefined {
  // BlockList also matches an IPv4 rule against its IPv4-mapped IPv6 form; the family filter
  // keeps each reason to the form it was written for (the mapped form is named above).
  return LISTS.find((entry) => entry.family === family && entry.list.check(address, family))
    ?.reason;
}

/** The eight 16-bit groups of an IPv6 literal (a trailing dotted IPv4 part included). */
function ipv6Hextets(address: string): number[] | undefined {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((x) => parseInt(x, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const middle =
    tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  const hextets = [...left, ...middle, ...right];
  return hextets.length === 8 && hextets.every((x) => Number.isInteger(x)) ? hextets : undefined;
}

/** Every address of this machine's network interfaces: a request to one reaches this server. */
export function ownAddresses(): Set<string> {
  const own = new Set<string>();
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) own.add(entry.address.replace(/%.*$/, '').toLowerCase());
  }
  return own;
}
