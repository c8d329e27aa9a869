/** The audit key every test bot and store seals its chain with (BACKSTOP_AUDIT_KEY). */
export const TEST_AUDIT_KEY = 'test-audit-key-0123456789abcdef0123456789abcdef';
