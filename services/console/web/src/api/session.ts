import type { components } from '@gatehouse/sdk';
import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';
import { isStatus } from './errors';

export type User = components['schemas']['User'];

export const ME_KEY = ['me'] as const;

/**
 * Nothing of a session outlives it: every cached answer (and every mutation's variables, which may
 * hold a typed password) belonged to the person signed in, and the next one must never see them.
 */
export function forgetSession(queryClient: QueryClient): void {
  queryClient.clear();
  queryClient.setQueryData(ME_KEY, null);
}

/** A sign-in (or a sign-up's): whatever answers were cached before were someone else's, or no one's. */
export function startSession(queryClient: QueryClient, user: User): void {
  queryClient.getQueryCache().clear();
  queryClient.setQueryData(ME_KEY, user);
}

/**
 * The signed-in person (GET /api/user/me), or null when signed out (401: the session also ended
 * if it was revoked elsewhere or expired, and its cached answers go with it). Every signed-in
 * screen reads it; sign-in, sign-out and profile edits refresh it.
 */
export function useMe() {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: ME_KEY,
    queryFn: async (): Promise<User | null> => {
      try {
        return await call(api.GET('/api/user/me'));
      } catch (error) {
        if (!isStatus(error, 401)) throw error;
        queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_KEY[0] });
        return null;
      }
    },
    staleTime: 30_000,
  });
}

/** Ends this session. */
export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.POST('/api/auth/sign-out')),
    onSettled: () => forgetSession(queryClient),
  });
}
