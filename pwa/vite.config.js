// Vite: the app, its service worker (vite-plugin-pwa) and the Vitest setup.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { VitePWA } from 'vite-plugin-pwa'

// `npm run dev` proxies the API to a running `gridwarden up` (default :8000).
const API = process.env.GW_API_ORIGIN || 'http://127.0.0.1:8000'

export default defineConfig({
  plugins: [
    vue(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: false, // registered in src/main.js (virtual:pwa-register)
      includeAssets: ['favicon.svg', 'icons/apple-touch-icon.png'],
      manifest: {
        id: '/',
        name: 'GridWarden 安全用电',
        short_name: 'GridWarden',
        description: '安全用电一张网：实时监测、预警与报警、远程控制',
        lang: 'zh-CN',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#f7f8fa',
        theme_color: '#1f6feb',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png',
            purpose: 'maskable' },
        ],
      },
      workbox: {
        // The offline shell: every built asset is precached; navigations fall back to
        // index.html. The API is never cached by the service worker (see src/api/cache.js).
        globPatterns: ['**/*.{js,css,html,svg,png,woff2}'],
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/healthz/, /^\/readyz/],
        cleanupOutdatedCaches: true,
        // Web Push: show the alarm, open its page on click (public/push-sw.js).
        importScripts: ['push-sw.js'],
      },
    }),
  ],
  build: {
    target: 'es2020',
    chunkSizeWarningLimit: 900,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          if (id.includes('node_modules/vant') || id.includes('node_modules/@vant')) return 'vant'
          return undefined
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: API, changeOrigin: false },
      '/healthz': API,
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/unit/**/*.test.js'],
    setupFiles: ['tests/unit/setup.js'],
    css: false,
    server: { deps: { inline: ['vant'] } },
  },
})
