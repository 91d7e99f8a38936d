import { curlOf, useApiCalls } from '../api/calls';

/**
 * "Use the API": the requests this screen made, as curl, so the console teaches the API. Scripts
 * should send a Personal Access Token instead of the session cookie.
 */
export function ApiPanel() {
  const calls = useApiCalls();
  const origin = window.location.origin;
  return (
    <details className="api-panel">
      <summary>Use the API</summary>
      <p>
        What this screen just asked the API, with a session cookie jar as the Quick Start keeps one. From a script, send
        a Personal Access Token instead: replace <code>-b cookies.txt</code> with{' '}
        <code>-H "X-Api-Key: $GATEHOUSE_API_KEY"</code>. Every route is in the <a href="/docs">API reference</a>.
      </p>
      {calls.length === 0 ? (
        <p className="empty">No API call yet.</p>
      ) : (
        <ol className="api-calls">
          {calls.map((apiCall) => (
            <li key={`${apiCall.method} ${apiCall.path} ${apiCall.body ?? ''}`}>
              <pre>
                <code>{curlOf(apiCall, origin)}</code>
              </pre>
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}
