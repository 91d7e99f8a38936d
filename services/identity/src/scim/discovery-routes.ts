import { SCIM_MAX_RESULTS, SCIM_ROUTES, SCIM_SCHEMAS } from '@gatehouse/contracts';
import { type RouteServer, requireDirectory } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { scimBaseUrl } from './base-url.js';
import { listResponse } from './list.js';
import { ScimError, sendScim } from './protocol.js';
import { RESOURCE_TYPES, type ResourceTypeDefinition, SCHEMA_DEFINITIONS, type SchemaDefinition } from './schemas.js';

/**
 * ServiceProviderConfig, ResourceTypes, Schemas (RFC 7644 §4): what an IdP reads to learn what this
 * service provider does. Static but for the URLs; a directory's token is still required.
 */
export function scimDiscoveryRoutes(routes: RouteServer, ctx: IdentityContext): void {
  const base = scimBaseUrl(ctx.config);

  routes.serve(SCIM_ROUTES.scimServiceProviderConfig, async (request, reply) => {
    requireDirectory(request);
    return sendScim(reply, 200, serviceProviderConfig(base));
  });
  routes.serve(SCIM_ROUTES.scimListResourceTypes, async (request, reply) => {
    requireDirectory(request);
    const resources = RESOURCE_TYPES.map((type) => resourceType(base, type));
    return sendScim(reply, 200, listResponse(resources, { totalResults: resources.length, startIndex: 1 }));
  });
  routes.serve(SCIM_ROUTES.scimGetResourceType, async (request, reply) => {
    requireDirectory(request);
    const found = RESOURCE_TYPES.find((type) => type.id.toLowerCase() === request.params.id.toLowerCase());
    if (!found) throw new ScimError(404, `Resource type ${request.params.id} not found`);
    return sendScim(reply, 200, resourceType(base, found));
  });
  routes.serve(SCIM_ROUTES.scimListSchemas, async (request, reply) => {
    requireDirectory(request);
    const resources = SCHEMA_DEFINITIONS.map((definition) => schema(base, definition));
    return sendScim(reply, 200, listResponse(resources, { totalResults: resources.length, startIndex: 1 }));
  });
  routes.serve(SCIM_ROUTES.scimGetSchema, async (request, reply) => {
    requireDirectory(request);
    const found = SCHEMA_DEFINITIONS.find(
      (definition) => definition.id.toLowerCase() === request.params.id.toLowerCase(),
    );
    if (!found) throw new ScimError(404, `Schema ${request.params.id} not found`);
    return sendScim(reply, 200, schema(base, found));
  });
}

function serviceProviderConfig(base: string) {
  return {
    schemas: [SCIM_SCHEMAS.serviceProviderConfig],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: SCIM_MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: "The directory's SCIM token, sent as Authorization: Bearer",
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

function resourceType(base: string, type: ResourceTypeDefinition) {
  return {
    schemas: [SCIM_SCHEMAS.resourceType],
    ...type,
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${type.id}` },
  };
}

function schema(base: string, definition: SchemaDefinition) {
  return {
    schemas: [SCIM_SCHEMAS.schema],
    ...definition,
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${definition.id}` },
  };
}
