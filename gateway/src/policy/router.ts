import type { RoutePolicy } from '@gatehouse/contracts';
import FindMyWay, { type HTTPMethod, type HTTPVersion } from 'find-my-way';

export interface RouteMatch {
  policy: RoutePolicy;
  params: Record<string, string | undefined>;
}

/** Compiles the route table into fastify's own router, so matching costs what routing costs. */
export function compileRouteTable(table: RoutePolicy[]) {
  const router = FindMyWay<HTTPVersion.V1>({ ignoreTrailingSlash: true, maxParamLength: 200 });
  const policies = new Map<string, RoutePolicy>();
  for (const policy of table) {
    const key = `${policy.method} ${policy.path}`;
    policies.set(key, policy);
    router.on(policy.method, policy.path, () => undefined, { key });
  }
  return (method: string, url: string): RouteMatch | null => {
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const found = router.find(method as HTTPMethod, path);
    if (!found) return null;
    const policy = policies.get((found.store as { key: string }).key);
    return policy ? { policy, params: found.params } : null;
  };
}
