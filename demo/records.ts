/** A user the stub auth service can log in, and that the stub user service lists. */
export interface DemoUser {
  readonly id: number;
  readonly email: string;
  readonly name: string;
  readonly role: 'ADMIN' | 'USER';
}

/** Every stub user logs in with this password. */
export const DEMO_PASSWORD = 'demo-password';

/** The stub user service's records. */
export const USERS: readonly DemoUser[] = [
  { id: 1, email: 'ada@example.com', name: 'Ada Lovelace', role: 'ADMIN' },
  { id: 2, email: 'grace@example.com', name: 'Grace Hopper', role: 'USER' },
  { id: 3, email: 'alan@example.com', name: 'Alan Turing', role: 'USER' },
];

/** The stub product service's records. */
export const PRODUCTS = [
  { id: 1, sku: 'KB-001', name: 'Mechanical keyboard', price: 89.9, currency: 'EUR' },
  { id: 2, sku: 'MS-002', name: 'Wireless mouse', price: 29.5, currency: 'EUR' },
  { id: 3, sku: 'MN-003', name: '27" monitor', price: 249, currency: 'EUR' },
] as const;

/** The stub inventory service's records, one per product (`id` is the product id). */
export const INVENTORY = [
  { id: 1, productId: 1, quantity: 42, warehouse: 'BER-1' },
  { id: 2, productId: 2, quantity: 0, warehouse: 'BER-1' },
  { id: 3, productId: 3, quantity: 7, warehouse: 'HAM-2' },
] as const;
