import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { include: ['test/hardening/explore.fuzz.ts'], testTimeout: 3_600_000, pool: 'forks' } });
