import type { ScimErrorType } from '@gatehouse/contracts';
import type { HttpApp } from '@gatehouse/service-kit';

/** A SCIM failure: answered as RFC 7644 §3.12's error document by the SCIM scope's error handler. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly scimType?: ScimErrorType,
  ) {
    super(message);
  }
}

/**
 * Makes `scope` speak SCIM: `application/scim+json` bodies parsed as JSON, every failure (a ScimError,
 * an AppError, validation, malformed JSON, 404) answered as a SCIM error document.
 * WP0 stub: the SCIM protocol helper fills it in.
 */
export function useScimProtocol(_scope: HttpApp): void {}
