import { defineConfig } from 'vite';

// The page: web/ -> dist/web, served by the dashboard server.
export default defineConfig({
  root: 'web',
  base: './',
  build: { outDir: '../dist/web', emptyOutDir: true, target: 'es2022' },
});
