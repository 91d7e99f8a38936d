import { type QueryClient, useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';

export const MFA_STATUS_KEY = ['account', 'mfa'] as const;
export const PASSKEYS_KEY = ['account', 'mfa', 'passkeys'] as const;

/** Which second factors the account has (GET /api/user/mfa). */
export function useMfaStatus() {
  return useQuery({ queryKey: MFA_STATUS_KEY, queryFn: () => call(api.GET('/api/user/mfa')) });
}

/** After a factor changed: the status and the passkeys (their key starts with the status's) are read again. */
export function factorsChanged(queryClient: QueryClient): Promise<void> {
  return queryClient.invalidateQueries({ queryKey: MFA_STATUS_KEY });
}
