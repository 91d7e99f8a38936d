import type { Middleware } from '@gatehouse/sdk';

/**
 * Step-up in one place: any call refused with 403 MFA_REQUIRED `meta.reason: 'step_up'` waits for the
 * person to prove a second factor (the dialog StepUpProvider registers) and is then sent once more.
 * Screens do nothing: a key created, a factor removed or a password changed after 10 minutes just
 * asks first. Several calls refused at once share one prompt.
 */
export type StepUpPrompt = () => Promise<boolean>;

let prompt: StepUpPrompt | null = null;
let pending: Promise<boolean> | null = null;

/** The dialog that asks; null when it unmounts (signed out: a refusal then stays a refusal). */
export function registerStepUpPrompt(next: StepUpPrompt | null): void {
  prompt = next;
}

/** Asks for the second factor now (e.g. from an organization's policy notice); false when declined. */
export function requestStepUp(): Promise<boolean> {
  if (!prompt) return Promise.resolve(false);
  if (!pending) {
    pending = prompt()
      .catch(() => false)
      .finally(() => {
        pending = null;
      });
  }
  return pending;
}

/** The error envelope's fields this reads (docs/api.md). */
interface ErrorBody {
  code?: unknown;
  meta?: { reason?: unknown };
}

export async function isStepUpRefusal(response: Response): Promise<boolean> {
  if (response.status !== 403) return false;
  try {
    const body = (await response.clone().json()) as ErrorBody;
    return body.code === 'MFA_REQUIRED' && body.meta?.reason === 'step_up';
  } catch {
    return false;
  }
}

/** Copies of the requests in flight (a sent body cannot be read again), to send once more after a step-up. */
const copies = new Map<string, Request>();

export const stepUpMiddleware: Middleware = {
  onRequest({ request, id }) {
    copies.set(id, request.clone());
    return undefined;
  },
  async onResponse({ response, id }) {
    const copy = copies.get(id);
    copies.delete(id);
    if (!copy || !(await isStepUpRefusal(response))) return undefined;
    if (!(await requestStepUp())) return undefined;
    return fetch(copy);
  },
  onError({ id }) {
    copies.delete(id);
    return undefined;
  },
};
