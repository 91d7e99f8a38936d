import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** `pnpm dev:console`: the app with hot reload on :5173, the API through the local gateway. */
const gateway = process.env.GATEHOUSE_URL ?? 'http://localhost:8080';
const API_PATHS = ['/api', '/oauth2', '/scim', '/.well-known', '/docs', '/openapi.json'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  // The workspace packages' TypeScript (their `source` export), then Vite's own client defaults.
  resolve: { conditions: ['source', 'module', 'browser', 'development|production'] },
  build: {
    // dist/web: the compiled server is in dist/src beside it (pnpm build).
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Fonts and icons stay files: the CSP allows no inline data but images.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    port: 5173,
    strictPort: true,
    // The browser's Origin is kept: the gateway must list http://localhost:5173 in CORS_ORIGINS
    // (pnpm start does) or it refuses the console's cookie writes as cross-site.
    proxy: Object.fromEntries(API_PATHS.map((path) => [path, { target: gateway, changeOrigin: true }])),
  },
});
