import path from 'node:path';
import { defineConfig } from 'vite';

// The preload runs sandboxed: bundle it, with the contract it imports, into one CommonJS file.
export default defineConfig({
  build: {
    outDir: path.resolve(import.meta.dirname, '../../dist/preload'),
    emptyOutDir: true,
    minify: false,
    lib: {
      entry: path.resolve(import.meta.dirname, 'index.ts'),
      formats: ['cjs'],
      fileName: () => 'index.cjs',
    },
    rollupOptions: { external: ['electron'] },
  },
});
