import { TesdError } from '../core/errors.js';

/** What `tesd publish` and `tesd find` use to talk to a running node's admin API. */

const REQUEST_TIMEOUT_MS = 30_000; // a find --all on a slow network can take the lookup deadline

export interface AdminRequest {
  readonly admin: string;
  readonly path: string;
  readonly method?: 'GET' | 'POST';
  readonly token?: string;
  readonly body?: unknown;
}

export async function adminRequest<T>(request: AdminRequest): Promise<T> {
  const url = `http://${request.admin}${request.path}`;
  const headers: Record<string, string> = {};
  if (request.token !== undefined) headers.authorization = `Bearer ${request.token}`;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method ?? 'GET',
      headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new TesdError(
      'admin_unreachable',
      `cannot reach the admin API at ${request.admin} (${cause}): is tesd running there? (--admin)`,
    );
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TesdError(
      'admin_error',
      `admin API at ${request.admin} answered ${response.status} with non-JSON`,
    );
  }
  if (!response.ok) {
    const message = (json as { error?: unknown }).error;
    throw new TesdError(
      'admin_error',
      `admin API: ${response.status} ${typeof message === 'string' ? message : response.statusText}`,
    );
  }
  return json as T;
}
