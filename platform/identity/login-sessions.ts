import { createHash, randomBytes } from 'node:crypto';
import type { StateStore } from '../../kernel/state/index.ts';
import type { Principal } from './auth.ts';

export interface SessionLimits {
  /** A session not used for this long ends (default 30 min). */
  idleMs: number;
  /** A session ends this long after its login, however it is used (default 12 h); a rotation keeps the login's. */
  absoluteMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 };

/** A login under way: what its callback needs to finish it. */
export interface LoginAttempt {
  tenant: string;
  provider: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  /** A local development sign-in's principal: no provider is asked. */
  principal?: Principal;
}

/** The provider name of local development sign-ins (`companyos start` without identity providers). */
export const LOCAL_DEVELOPMENT = 'local-development';

const LIVE = 'live';

/** How long a person has to come back from the provider's login page. */
const ATTEMPT_TTL_MS = 10 * 60_000;
/** `last_seen_at` is written at most this often per session: every request reads the session, few write it. */
const TOUCH_EVERY_MS = 60_000;

type SessionRow = { tenant_id: string; session_hash: string; provider: string; subject: string; principal: string; created_at: Date; last_seen_at: Date; expires_at: Date; status: string };

/**
 * Server-side sessions of people signed in through an identity provider. The browser holds a random id
 * (an HttpOnly cookie); the store holds its SHA-256, the principal the login mapped, and the times the
 * idle and absolute limits are measured from. Ending one (logout, rotation, deprovisioning) is a
 * compare-and-set: of two concurrent rotations, one wins.
 */
export class LoginSessions {
  constructor(
    private readonly state: StateStore,
    private readonly now: () => Date = () => new Date(),
    readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  ) {}

  /** Records a login under way; the `state` parameter that finds it again (one use, ten minutes unless told). */
  async beginAttempt(attempt: LoginAttempt, ttlMs = ATTEMPT_TTL_MS): Promise<string> {
    const state = randomId();
    await this.state.transaction((tx) =>
      tx.insert('login_attempts', [{
        tenant_id: attempt.tenant, state_hash: digest(state), provider: attempt.provider, code_verifier: attempt.codeVerifier,
        nonce: attempt.nonce, return_to: attempt.returnTo, principal: attempt.principal ? JSON.stringify(attempt.principal) : null,
        expires_at: new Date(this.now().getTime() + ttlMs),
      }]),
    );
    return state;
  }

  /**
   * A one-use code that signs `principal` in on this machine without an identity provider (the link
   * `companyos start` prints when none is configured): `GET /auth/local?code=` turns it into a session.
   */
  localSignIn(principal: Principal, returnTo: string, ttlMs: number): Promise<string> {
    return this.beginAttempt({ tenant: principal.tenant, provider: LOCAL_DEVELOPMENT, codeVerifier: '', nonce: '', returnTo, principal }, ttlMs);
  }

  /** The attempt `state` names, removed so that it finishes once; undefined when unknown, used or expired. */
  async takeAttempt(state: string): Promise<LoginAttempt | undefined> {
    return this.state.transaction(async (tx) => {
      const [row] = await tx.query<{ tenant_id: string; provider: string; code_verifier: string; nonce: string; return_to: string; principal: string | null; expires_at: Date }>(
        'SELECT tenant_id, provider, code_verifier, nonce, return_to, principal, expires_at FROM login_attempts WHERE state_hash = ?', [digest(state)],
      );
      if (!row) return undefined;
      const taken = await tx.delete('login_attempts', { tenant_id: row.tenant_id, state_hash: digest(state) });
      if (taken !== 1 || new Date(row.expires_at).getTime() <= this.now().getTime()) return undefined;
      const attempt: LoginAttempt = { tenant: row.tenant_id, provider: row.provider, codeVerifier: row.code_verifier, nonce: row.nonce, returnTo: row.return_to };
      return row.principal ? { ...attempt, principal: JSON.parse(String(row.principal)) as Principal } : attempt;
    });
  }

  /** A new session for `principal`: the id the browser keeps, and when it ends at the latest. */
  async open(principal: Principal, provider: string, loginAt?: Date): Promise<{ id: string; expiresAt: Date }> {
    const now = this.now();
    const expiresAt = new Date((loginAt ?? now).getTime() + this.limits.absoluteMs);
    const id = randomId();
    await this.state.transaction((tx) =>
      tx.insert('login_sessions', [{
        tenant_id: principal.tenant, session_hash: digest(id), provider, subject: principal.subject, principal: JSON.stringify(principal),
        created_at: loginAt ?? now, last_seen_at: now, expires_at: expiresAt, status: LIVE, ended_at: null,
      }]),
    );
    return { id, expiresAt };
  }

  /** The principal of a live session (and notes the use); undefined when it is unknown, ended, idle too long or past its end. */
  async principal(id: string): Promise<Principal | undefined> {
    const row = await this.live(id);
    if (!row) return undefined;
    const now = this.now();
    if (now.getTime() - new Date(row.last_seen_at).getTime() > TOUCH_EVERY_MS) {
      await this.state.transaction((tx) =>
        tx.compareAndSet('login_sessions', { session_hash: row.session_hash }, { status: LIVE }, { last_seen_at: now }),
      );
    }
    return JSON.parse(String(row.principal)) as Principal;
  }

  /** Ends `id` and opens its successor (same principal, same absolute end): the new id, or undefined when `id` is not live. */
  async rotate(id: string): Promise<{ id: string; expiresAt: Date } | undefined> {
    const row = await this.live(id);
    if (!row || !(await this.endRow(row, 'rotated'))) return undefined;
    return this.open(JSON.parse(String(row.principal)) as Principal, row.provider, new Date(row.created_at));
  }

  /** Ends `id` (a logout): whether it was live. */
  async end(id: string, reason = 'logout'): Promise<boolean> {
    const row = await this.live(id);
    return row ? this.endRow(row, reason) : false;
  }

  /** Ends every live session of `subject` in `tenant` (a deprovisioned person): how many. */
  async endAllOf(tenant: string, subject: string, reason: string): Promise<number> {
    const rows = await this.state.query<SessionRow>('SELECT * FROM login_sessions WHERE tenant_id = ? AND subject = ? AND status = ?', [tenant, subject, LIVE]);
    let ended = 0;
    for (const row of rows) if (await this.endRow(row, reason)) ended++;
    return ended;
  }

  private async live(id: string): Promise<SessionRow | undefined> {
    if (!id) return undefined;
    const [row] = await this.state.query<SessionRow>('SELECT * FROM login_sessions WHERE session_hash = ?', [digest(id)]);
    if (!row || row.status !== LIVE) return undefined;
    const now = this.now().getTime();
    if (new Date(row.expires_at).getTime() <= now) return undefined;
    if (now - new Date(row.last_seen_at).getTime() > this.limits.idleMs) return undefined;
    return row;
  }

  private endRow(row: SessionRow, reason: string): Promise<boolean> {
    return this.state.transaction((tx) =>
      tx.compareAndSet('login_sessions', { session_hash: row.session_hash }, { status: LIVE }, { status: reason, ended_at: this.now() }),
    );
  }
}

function randomId(): string {
  return randomBytes(32).toString('base64url');
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
