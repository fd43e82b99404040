/**
 * The web pages (`web/`): built by Vite into `dist/web`, which `ccr serve` serves. The SDK is bundled with the
 * `browser` condition, so its two platform modules (`#json-rpc`, `#signature`, see package.json "imports") are the
 * browser's; nothing Node-only is bundled.
 */
import { defineConfig } from "vite";

export default defineConfig({
  root: "web",
  base: "./",
  logLevel: "warn",
  build: {
    outDir: "../dist/web",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: {
        verifier: "web/index.html",
        explorer: "web/explorer.html",
        dashboard: "web/dashboard.html",
        timeline: "web/timeline.html",
      },
    },
  },
});
