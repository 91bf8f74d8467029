import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The renderer: served by Electron's custom protocol and by the headless host, hence relative URLs.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
  },
});
