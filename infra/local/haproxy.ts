/**
 * The HAProxy configuration of a scale-out run (`pnpm start --replicas N`): one frontend per kind of
 * process, each balancing over that kind's replicas. The gateway frontend is the system's front door;
 * the service frontends are what the gateways call, so a gateway never knows how many replicas there are.
 *
 * Failover rules, and why:
 * - A replica is taken out after two failed `/readyz` checks a second apart (its own dependencies,
 *   never its upstreams: one service down must not take every gateway out), and back after one good one.
 * - A request whose connection could not be made (the replica is gone, nothing was sent) is retried
 *   on another replica, whatever its method: the replica never saw it.
 * - Past that (the request was sent, the replica died before answering), only safe methods are
 *   retried. A POST may have been applied; replaying it could create twice, so its client gets the
 *   error and decides (HAProxy answers 502/503/504, never a 2xx, so nothing unapplied is acknowledged).
 */

export interface HaproxyFrontend {
  /** The kind of process: gateway, identity, … (also the backend's name). */
  name: string;
  /** Where HAProxy listens for this kind. */
  port: number;
  /** The replicas' ports on 127.0.0.1. */
  servers: number[];
  /** The path HAProxy checks each replica with. */
  healthPath: string;
  /** The front door: adds X-Forwarded-For (the gateway trusts 127.0.0.1 for it). */
  forwardFor?: boolean;
  /**
   * The front door: at most this many open connections per client address. The gateways behind it see
   * every connection come from HAProxy, so their own per-address cap (MAX_CONNECTIONS_PER_IP) is off
   * and enforced here, where the client's address is known.
   */
  maxConnectionsPerIp?: number;
}

export function haproxyConfig(frontends: HaproxyFrontend[]): string {
  const lines = [
    // In the foreground (-db) HAProxy reports servers going down and up on stderr; no request log.
    'global',
    '  maxconn 4096',
    '',
    'defaults',
    '  mode http',
    '  option dontlognull',
    '  option http-keep-alive',
    '  timeout connect 2s',
    '  timeout client 120s',
    '  timeout server 120s',
    '  timeout http-request 15s',
    '  timeout http-keep-alive 15s',
    '  timeout queue 10s',
    // Up to three more tries, each on another replica when the first one's connection failed.
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response junk-response response-timeout 0rtt-rejected',
    '  default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 1',
    '',
  ];
  for (const frontend of frontends) {
    lines.push(
      `frontend ${frontend.name}`,
      `  bind 127.0.0.1:${frontend.port}`,
      ...(frontend.forwardFor ? ['  option forwardfor'] : []),
      ...(frontend.maxConnectionsPerIp
        ? [
            '  stick-table type ip size 100k expire 60s store conn_cur',
            '  tcp-request connection track-sc0 src',
            `  tcp-request connection reject if { sc0_conn_cur gt ${frontend.maxConnectionsPerIp} }`,
          ]
        : []),
      // Past a failed connection, a request that may have changed something is never replayed.
      '  http-request disable-l7-retry unless METH_GET || METH_HEAD || METH_OPTIONS',
      `  default_backend ${frontend.name}_replicas`,
      '',
      `backend ${frontend.name}_replicas`,
      '  balance roundrobin',
      `  option httpchk GET ${frontend.healthPath}`,
      '  http-check expect status 200',
      ...frontend.servers.map((port, index) => `  server ${frontend.name}-${index + 1} 127.0.0.1:${port} check`),
      '',
    );
  }
  return lines.join('\n');
}
