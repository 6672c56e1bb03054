// @ts-check
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/*
 * The web app's build: web/ in, web/dist out, served by the gateway (services/api/web-assets.ts).
 * Every built file but index.html goes under assets/ with a content hash in its name, which is
 * what lets the gateway mark them immutable. The manifest (web/dist/.vite/, never served) tells
 * scripts/web/bundle-size.ts which scripts the first page loads.
 *
 * No Preact plugin: Vite's own transform compiles JSX with the automatic runtime from preact
 * (web/tsconfig.json's jsxImportSource), which is all the app needs; hot reload of components is
 * the one thing given up. `npm run dev:web` serves the app with /api proxied to a running shop.
 */
export default defineConfig({
	root: fileURLToPath(new URL(".", import.meta.url)),
	base: "/",
	build: {
		outDir: "dist",
		emptyOutDir: true,
		manifest: true,
		assetsDir: "assets",
		// Preact 11's own floor; every browser a shopper uses today.
		target: "es2022",
		// Inlined assets would need `data:` in more of the Content-Security-Policy than images.
		assetsInlineLimit: 0,
		sourcemap: false,
	},
	server: {
		proxy: { "/api": { target: process.env.SHOP_URL ?? "http://127.0.0.1:3000", changeOrigin: false } },
	},
});
