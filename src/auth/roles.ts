/**
 * The Spring authority a role name stands for, as the shop's services derive it from the `role`
 * claim (product-service and user-service SecurityConfig, `jwtAuthenticationConverter`): trimmed,
 * upper-cased, prefixed `ROLE_` unless it starts with `ROLE_` already. So `ADMIN`, `admin`,
 * `ROLE_ADMIN` and `ROLE_admin` are one role, and `hasRole('ADMIN')` is `ROLE_ADMIN`.
 */
export function authorityOf(role: string): string {
  const value = role.trim();
  return value.startsWith('ROLE_') ? value.toUpperCase() : `ROLE_${value.toUpperCase()}`;
}
