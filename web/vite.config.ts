/**
 * Builds the web side into `web/dist`:
 * - `index.html` (sign-in + app shell, also the fallback for unknown non-API GET paths),
 * - `wall.html` (the wall display),
 * - `vigil-guard.js`, a self-contained ES module (a second, library-mode build run when the
 *   first one closes, so one `vite build --config web/vite.config.ts` makes everything).
 */
import { fileURLToPath } from 'node:url';
import { build, defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('./dist', import.meta.url));

function guardBundle(): Plugin {
  return {
    name: 'vigil-guard-bundle',
    apply: 'build',
    async closeBundle() {
      await build({
        configFile: false,
        root,
        logLevel: 'warn',
        build: {
          outDir,
          emptyOutDir: false,
          target: 'es2022',
          minify: true,
          lib: { entry: fileURLToPath(new URL('./src/guard.ts', import.meta.url)), formats: ['es'], fileName: () => 'vigil-guard.js' },
          rollupOptions: { external: [] },
        },
      });
    },
  };
}

export default defineConfig({
  root,
  base: '/',
  plugins: [guardBundle()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        wall: fileURLToPath(new URL('./wall.html', import.meta.url)),
      },
    },
  },
});
