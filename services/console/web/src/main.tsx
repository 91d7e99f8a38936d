import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router/dom';
import { GatehouseError } from './api/client';
import { ME_KEY } from './api/session';
import { router } from './routes';

/**
 * A 401 may mean the session ended (expired, revoked elsewhere) — or only that a typed password or
 * a mailed token was wrong. Asking who is signed in tells them apart: when nobody is, every
 * screen falls back to sign-in.
 */
function onApiError(error: unknown) {
  // Signed out already (a wrong password at sign-in): there is nothing to ask.
  if (error instanceof GatehouseError && error.status === 401 && queryClient.getQueryData(ME_KEY))
    void queryClient.invalidateQueries({ queryKey: ME_KEY });
}

const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: onApiError }),
  mutationCache: new MutationCache({ onError: onApiError }),
  defaultOptions: {
    queries: {
      // A 4xx is an answer, not a hiccup: asking again would get the same one.
      retry: (failures, error) => !(error instanceof GatehouseError && error.status < 500) && failures < 2,
      refetchOnWindowFocus: false,
    },
  },
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
