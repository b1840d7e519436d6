import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { AtolyeConfig } from '../config/index.js';
import { AtolyeError, errorMessage } from '../errors.js';
import { ownAddresses, privateAddressReason } from '../net/private-address.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a host name resolves to (the system resolver by default). */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export interface WebhookPolicyOptions {
  /** `api.webhookAllowHosts`: comma-separated host[:port] allowed on private addresses. */
  allowHosts: string;
  /** The product's own ports, with what listens there; a host listed without a port excludes them. */
  ownPorts: readonly { port: number; name: string }[];
  resolve?: ResolveHost;
}

/** Where a webhook may be sent: its URL and the checked address the connection must use. */
export interface WebhookTarget {
  url: URL;
  /** The URL's host without IPv6 brackets, as TLS and the Host header name it. */
  hostname: string;
  port: number;
  address: string;
  family: 4 | 6;
}

export interface WebhookPolicy {
  /**
   * Resolves the URL's host and checks every address it has; refuses (WEBHOOK_REFUSED) a scheme
   * other than http(s) and, unless the allow list names the host, any loopback, link-local,
   * private, reserved or own address. Called at run creation and again right before each send.
   */
  check(url: string): Promise<WebhookTarget>;
}

interface AllowEntry {
  host: string;
  port?: number;
}

/** The policy of the run API: `api.webhookAllowHosts`, and the ports of the API and the host. */
export function webhookPolicyFor(
  config: Pick<AtolyeConfig, 'api' | 'host'>,
  hostUrl?: string,
): WebhookPolicy {
  const hostPort = hostUrl === undefined ? 0 : Number(new URL(hostUrl).port);
  return webhookPolicy({
    allowHosts: config.api.webhookAllowHosts,
    ownPorts: [
      { port: config.api.port, name: 'the run API' },
      { port: config.host.port, name: 'the worker host' },
      { port: hostPort, name: 'the worker host' },
    ].filter((own) => own.port > 0),
  });
}

export function webhookPolicy(options: WebhookPolicyOptions): WebhookPolicy {
  const allowed = parseAllowHosts(options.allowHosts);
  const resolve =
    options.resolve ?? ((hostname) => lookup(hostname, { all: true, verbatim: true }));

  return {
    async check(raw) {
      const url = new URL(raw);
      const host = url.hostname.toLowerCase();
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw refused(`the webhook URL uses ${url.protocol}//: use an http:// or https:// URL`);
      }
      const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
      const hostname = host.replace(/^\[|\]$/g, '');
      const addresses = isIP(hostname)
        ? [{ address: hostname, family: isIP(hostname) }]
        : await resolved(resolve, host, hostname);
      const first = addresses[0] as ResolvedAddress;
      const target: WebhookTarget = {
        url,
        hostname,
        port,
        address: first.address,
        family: first.family === 6 ? 6 : 4,
      };
      if (allowed.some((entry) => entry.host === host && entry.port === port)) return target;
      const own = ownAddresses();
      const ownPort = options.ownPorts.find((entry) => entry.port === port);
      const listedHost = allowed.some((entry) => entry.host === host && entry.port === undefined);
      for (const { address } of addresses) {
        const reason =
          privateAddressReason(address) ??
          (own.has(address.toLowerCase()) ? 'an address of this server' : undefined);
        if (reason === undefined) continue;
        if (listedHost && ownPort === undefined) continue;
        const what = address === hostname ? `is ${reason}` : `resolves to ${reason} (${address})`;
        const problem =
          listedHost && ownPort
            ? `${what} and port ${port} is ${ownPort.name}'s, which a host listed without a port does not open`
            : what;
        throw refused(
          `the webhook host ${JSON.stringify(host)} ${problem}. A webhook may not reach this server or its private network; if the receiver is yours, add "${host}:${port}" to api.webhookAllowHosts (ATOLYE_API_WEBHOOK_ALLOW_HOSTS)`,
        );
      }
      return target;
    },
  };
}

async function resolved(
  resolve: ResolveHost,
  host: string,
  hostname: string,
): Promise<ResolvedAddress[]> {
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolve(hostname);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    const gone = code === 'ENOTFOUND' || code === 'ENODATA';
    throw refused(
      gone
        ? `the webhook host ${JSON.stringify(host)} does not resolve (${code}): check the URL`
        : `the webhook host ${JSON.stringify(host)} could not be resolved: ${errorMessage(error)}`,
      !gone,
    );
  }
  if (addresses.length === 0) {
    throw refused(`the webhook host ${JSON.stringify(host)} has no address: check the URL`);
  }
  return addresses;
}

function refused(message: string, retryable = false): AtolyeError {
  return new AtolyeError('WEBHOOK_REFUSED', message, { retryable });
}

/** `host[:port]` entries, hosts spelled as a URL spells them (`127.1` → `127.0.0.1`). */
function parseAllowHosts(list: string): AllowEntry[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const url = new URL(`http://${entry}`);
      // URL drops a default port (80); the entry's own text says whether one was given.
      const port = /:(\d+)$/.exec(entry)?.[1];
      return {
        host: url.hostname.toLowerCase(),
        port: port === undefined ? undefined : Number(port),
      };
    });
}
