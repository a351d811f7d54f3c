// Errors from the API server (a Status object) or from the network, and which of them are worth retrying.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** A failed request: either the server answered with an error Status, or the connection failed (`status` 0). */
export class ApiError extends Error {
  /** HTTP status; 0 when no response arrived (connection refused, reset, timeout). */
  readonly status: number;
  /** The Status `reason` (e.g. `Conflict`, `NotFound`, `Invalid`) or the network error code (e.g. `ECONNREFUSED`). */
  readonly reason: string;
  readonly causes: StatusCause[];
  /** Seconds the server asked us to wait (Retry-After), if any. */
  readonly retryAfter?: number;
  /**
   * Some attempt may have reached the server even though none was answered (the connection broke after sending, or
   * a gateway timed out): a write may have been carried out. Set by the client after its retries.
   */
  maybeApplied = false;
  constructor(status: number, reason: string, message: string, causes: StatusCause[] = [], retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
    this.causes = causes;
    this.retryAfter = retryAfter;
  }
}

const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/**
 * 500s that are not transient: server-side apply reports a manifest that does not fit the schema (an unknown field
 * under --dry-run=server or Strict validation) as `500 InternalError: failed to create typed patch object`.
 */
const DETERMINISTIC_500 = /failed to create typed patch object|field not declared in schema|failed to create manager for existing fields/;

/** 429, 5xx (except 501) and connection failures are transient; everything else is the caller's problem. */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  if (err.status === 0) return RETRYABLE_CODES.has(err.reason);
  if (err.status === 429) return true;
  if (err.status === 500 && DETERMINISTIC_500.test(err.message)) return false;
  return err.status >= 500 && err.status !== 501;
}

/** Builds an ApiError from a response body (a Status object when the server produced it). */
export function errorFromResponse(status: number, body: unknown, retryAfterHeader?: string | string[]): ApiError {
  const st = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const message =
    typeof st.message === 'string' && st.message
      ? st.message
      : typeof body === 'string' && body.trim()
        ? body.trim().slice(0, 500)
        : `HTTP ${status}`;
  const reason = typeof st.reason === 'string' && st.reason ? st.reason : httpReason(status);
  const details = st.details && typeof st.details === 'object' ? (st.details as Record<string, unknown>) : {};
  const causes = Array.isArray(details.causes) ? (details.causes as StatusCause[]) : [];
  let retryAfter: number | undefined;
  const ra = Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader;
  if (ra !== undefined && /^\d+$/.test(ra)) retryAfter = Number(ra);
  else if (typeof details.retryAfterSeconds === 'number') retryAfter = details.retryAfterSeconds;
  return new ApiError(status, reason, message, causes, retryAfter);
}

export function errorFromNetwork(err: unknown, server: string): ApiError {
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? 'ECONNRESET';
  const what =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ECONNRESET'
        ? 'connection reset'
        : code === 'ETIMEDOUT'
          ? 'request timed out'
          : (e?.message ?? String(err));
  return new ApiError(0, code, `cannot reach the API server at ${server}: ${what}`);
}

function httpReason(status: number): string {
  switch (status) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 409:
      return 'Conflict';
    case 410:
      return 'Expired';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 500:
      return 'InternalError';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return `HTTP${status}`;
  }
}

/** A field-manager conflict of server-side apply: which field, and which manager owns it. */
export interface FieldConflict {
  field: string;
  manager: string;
  /** The apiVersion the other manager used, when the server says. */
  apiVersion?: string;
}

/**
 * Extracts the conflicts from a 409 of server-side apply. The server puts one cause per field:
 * `{reason: "FieldManagerConflict", message: "conflict with \"kubectl-edit\" using apps/v1", field: ".spec.replicas"}`;
 * when causes are missing, the message `Apply failed with 1 conflict: conflict with "x" using apps/v1: .spec.replicas`
 * is parsed instead.
 */
export function parseConflicts(err: ApiError): FieldConflict[] {
  const out: FieldConflict[] = [];
  for (const c of err.causes) {
    if (c.reason !== 'FieldManagerConflict') continue;
    const m = /conflict with "([^"]*)"(?: with subresource "[^"]*")?(?: using (\S+))?/.exec(c.message ?? '');
    out.push({ field: c.field ?? '', manager: m?.[1] ?? 'unknown', apiVersion: m?.[2] });
  }
  if (out.length > 0) return out;
  const re = /conflict with "([^"]*)"(?: with subresource "[^"]*")?(?: using ([^\s:]+))?:\s*(\S+)/g;
  for (const m of err.message.matchAll(re)) out.push({ manager: m[1]!, apiVersion: m[2], field: m[3]! });
  return out;
}

/**
 * Runs `fn`; an ApiError it throws comes out with `what` in front of its message (`reading the ApplySet parent
 * Secret shop/compose2k8s-shop: connection refused`), so an error that ends a run says what was being done.
 */
export async function withContext<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiError) {
      const wrapped = new ApiError(e.status, e.reason, `${what}: ${e.message}`, e.causes, e.retryAfter);
      wrapped.maybeApplied = e.maybeApplied;
      throw wrapped;
    }
    throw e;
  }
}

/** Whether a failed attempt may still have been carried out by the server: no answer, but the request may have left. */
export function maybeDelivered(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  if (err.status === 0) return !['ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH'].includes(err.reason);
  return err.status === 504;
}
