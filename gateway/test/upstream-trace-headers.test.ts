import { describe, expect, it } from 'vitest';
import { upstreamHeaders } from '../src/proxy/headers.js';

/**
 * A client's trace context stops at the gateway (tracing is off in this process: no provider is
 * registered), so no service logs or continues a trace id the client picked.
 */
const extra = {
  principalToken: 'signed',
  requestId: 'req-1',
  clientIp: '203.0.113.7',
  proto: 'https',
  host: 'gatehouse.example',
  path: '/api/user/me',
};
const clientTrace = {
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'vendor=chosen-by-client',
  baggage: 'userId=someone-else',
};

describe('trace headers on the way upstream', () => {
  it('drops the client’s traceparent, tracestate and baggage, on API and authorization-server routes', () => {
    const incoming = { ...clientTrace, accept: 'application/json' };
    for (const headers of [
      upstreamHeaders(incoming, extra),
      upstreamHeaders(incoming, { ...extra, path: '/oauth2/token' }, { sessionCookieName: 'gatehouse_session' }),
    ]) {
      expect(headers.traceparent).toBeUndefined();
      expect(headers.tracestate).toBeUndefined();
      expect(headers.baggage).toBeUndefined();
      expect(headers.accept).toBe('application/json');
      expect(headers['x-request-id']).toBe('req-1');
    }
  });
});
