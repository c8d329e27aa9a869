/** Talking to the console server (`/sandbox/api/…`), and reading its answers as one-line reasons. */

export const api = (path) => new window.URL(`api/${path}`, import.meta.url).toString();

/** Where the page fetches an uploaded file's bytes: the console's loopback-only file route. */
export const fileUrl = (file) => api(`file?${new URLSearchParams({ id: file.id })}`);

export async function postJson(path, body) {
  const res = await fetch(api(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  let json = null;
  try {
    json = await res.json();
  } catch {
    // Not JSON: reported below by status.
  }
  return { ok: res.ok, httpStatus: res.status, json };
}

/** A one-line reason from a console-server answer, or null when the bot took it (2xx). */
export function problem(result) {
  if (!result.ok) {
    const j = result.json ?? {};
    return `${j.error ?? `HTTP ${result.httpStatus}`}${j.message ? `: ${j.message}` : ''}${Array.isArray(j.issues) ? `: ${j.issues.map((i) => `${i.path} ${i.message}`).join('; ')}` : ''}`;
  }
  const status = result.json?.status;
  if (typeof status === 'number' && (status < 200 || status >= 300)) {
    const body = result.json.body;
    const detail = typeof body === 'string' ? body : body ? JSON.stringify(body) : '';
    return `the bot answered ${status}${detail ? `: ${detail.slice(0, 300)}` : ''}`;
  }
  return null;
}
