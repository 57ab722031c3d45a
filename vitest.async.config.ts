// The async layer's tests, run on demand: `npm run test:async` (see vitest.config.ts).
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default mergeConfig(base, defineConfig({ test: { exclude: ['node_modules/**'], include: ['tests/async-ring.test.ts', 'tests/waker.test.ts'] } }));
