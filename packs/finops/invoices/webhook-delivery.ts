import { timeOrderedId } from '../../../kernel/ids/index.ts';
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface WebhookConfig {
  url: string;
  /** HMAC-SHA256 key the receiver shares. */
  secret: string;
  /**
   * The keys to sign with now, when the secret is rotated (`RotatingSecret.inUse`): the current one,
   * then any still in their overlap — one `v1=` signature each, so a receiver on either key accepts.
   */
  signingSecrets?: () => readonly string[];
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Wait before the second attempt; doubled after each (with jitter), or the receiver's Retry-After. */
  backoffMs: number;
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK = { maxAttempts: 5, backoffMs: 500, timeoutMs: 10_000 } as const;
export const SIGNATURE_HEADER = 'x-companyos-signature';
export const DELIVERY_HEADER = 'x-companyos-delivery';
/** Longest wait honoured from a Retry-After header. */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` — the timestamp is signed with the body so a
 * captured request cannot be replayed later. With several secrets (a rotation's overlap), one `v1=`
 * per secret, the current one first.
 */
export function signWebhook(secrets: string | readonly string[], body: string, timestamp: number): string {
  const digests = (typeof secrets === 'string' ? [secrets] : secrets).map((secret) => `v1=${hmac(secret, body, timestamp)}`);
  return `t=${timestamp},${digests.join(',')}`;
}

/** What a receiver runs: true when one of the signatures matches the body under `secret` and is at most `toleranceSeconds` old. */
export function verifyWebhook(secret: string, body: string, header: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = header.split(',').map((p) => p.split('=', 2) as [string, string]);
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmac(secret, body, timestamp), 'hex');
  return parts.some(([key, value]) => {
    if (key !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function hmac(secret: string, body: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export interface DeliveryAttempt {
  delivery_id: string;
  attempt: number;
  attempted_at: Date;
  status_code: number | null;
  /** delivered (2xx), retrying (will try again), failed (gave up, or the receiver refused for good). */
  outcome: 'delivered' | 'retrying' | 'failed';
  error: string | null;
  duration_ms: number;
}

export interface DeliveryResult {
  delivery_id: string;
  outcome: 'delivered' | 'failed';
  attempts: number;
  status_code: number | null;
  error: string | null;
}

/** 408, 429 and 5xx may succeed later; any other 4xx will not. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * POSTs `body` to the webhook, signed, retrying with exponential backoff on
 * network errors, timeouts, 408, 429 and 5xx. Every attempt is reported to
 * `record` before the next one starts, so a crash mid-retry loses no history.
 */
export async function deliverWebhook(
  config: WebhookConfig,
  body: string,
  headers: Record<string, string>,
  record: (attempt: DeliveryAttempt) => Promise<void>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<DeliveryResult> {
  const deliveryId = timeOrderedId();
  let last: DeliveryAttempt | undefined;
  for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
    const attemptedAt = new Date();
    const started = performance.now();
    let status: number | null = null;
    let error: string | null = null;
    let retryAfterMs: number | undefined;
    try {
      const response = await fetch(config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signWebhook(config.signingSecrets?.() ?? config.secret, body, Math.floor(attemptedAt.getTime() / 1000)),
          [DELIVERY_HEADER]: deliveryId,
          ...headers,
        },
        body,
        signal: AbortSignal.timeout(config.timeoutMs),
      });
      status = response.status;
      await response.body?.cancel();
      if (!response.ok) error = `HTTP ${status}`;
      const retryAfter = Number(response.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS);
    } catch (caught) {
      const cause = (caught as Error & { cause?: Error }).cause;
      error = (caught as Error).name === 'TimeoutError' ? `no answer in ${config.timeoutMs} ms` : (cause?.message ?? (caught as Error).message);
    }
    const delivered = status !== null && status >= 200 && status < 300;
    const again = !delivered && attempt < config.maxAttempts && (status === null || retryable(status));
    last = {
      delivery_id: deliveryId,
      attempt,
      attempted_at: attemptedAt,
      status_code: status,
      outcome: delivered ? 'delivered' : again ? 'retrying' : 'failed',
      error,
      duration_ms: Math.round(performance.now() - started),
    };
    await record(last);
    if (!again) break;
    const backoff = config.backoffMs * 2 ** (attempt - 1);
    await sleep(retryAfterMs ?? backoff / 2 + Math.random() * (backoff / 2));
  }
  return { delivery_id: deliveryId, outcome: last!.outcome === 'delivered' ? 'delivered' : 'failed', attempts: last!.attempt, status_code: last!.status_code, error: last!.error };
}
