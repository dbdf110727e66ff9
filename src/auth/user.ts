/** Claims the gateway reads from a verified access token (the shop's auth service issues these). */
export interface AccessClaims {
  readonly sub?: unknown;
  readonly userId?: unknown;
  readonly email?: unknown;
  readonly role?: unknown;
  readonly tokenType?: unknown;
  readonly exp?: unknown;
  readonly nbf?: unknown;
}

/** The user a verified token names: set by the auth layer in `ctx.state.user`, sent downstream as `x-user-*`. */
export interface ForwardedUser {
  readonly id: string;
  readonly email: string;
  readonly role: string | undefined;
}
