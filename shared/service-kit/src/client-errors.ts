import type { Socket } from 'node:net';
import { type ErrorCode, errorEnvelope, newId } from '@gatehouse/contracts';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

function classify(code: string | undefined): { status: number; code: ErrorCode; message: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, code: 'REQUEST_TIMEOUT', message: 'The request did not arrive in time' };
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, code: 'HEADERS_TOO_LARGE', message: 'The request headers are too large' };
  }
  return { status: 400, code: 'VALIDATION_ERROR', message: 'The request is not valid HTTP' };
}

/**
 * What Node's HTTP parser refuses before fastify sees a request (a malformed request line, headers
 * too large, a request too slow) is answered with the envelope too, then the connection is closed:
 * fastify's default answers `{error, message, statusCode}`.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } = classify(error.code);
  const body = JSON.stringify(errorEnvelope(status, code, message, newId()));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
