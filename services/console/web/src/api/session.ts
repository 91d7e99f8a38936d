import type { components } from '@gatehouse/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from './client';
import { isStatus } from './errors';

export type User = components['schemas']['User'];

export const ME_KEY = ['me'] as const;

/**
 * The signed-in person (GET /api/user/me), or null when signed out (401). Every signed-in screen
 * reads it; sign-in, sign-out and profile edits refresh it.
 */
export function useMe() {
  return useQuery({
    queryKey: ME_KEY,
    queryFn: async (): Promise<User | null> => {
      try {
        return await call(api.GET('/api/user/me'));
      } catch (error) {
        if (isStatus(error, 401)) return null;
        throw error;
      }
    },
    staleTime: 30_000,
  });
}

/** Ends this session; every cached answer belonged to it, so all of them go. */
export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => call(api.POST('/api/auth/sign-out')),
    onSettled: () => {
      queryClient.clear();
      queryClient.setQueryData(ME_KEY, null);
    },
  });
}
