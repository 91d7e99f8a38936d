import { validationError } from '@gatehouse/contracts';
import { webhookUrlProblem } from '../endpoints/urls.js';

const refused = (error: string) => validationError([{ field: 'url', error, location: 'body' }]);

/** The endpoint URL as it will be requested (WHATWG-normalized), or 400 naming `url`. */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw refused('must be an absolute URL');
  }
  const problem = webhookUrlProblem(url, allowPrivate);
  if (problem) throw refused(problem);
  return url.href;
}
