/// <reference types="vite/client" />

/** The API's path prefix, fixed at build time from API_PREFIX (vite.config.ts). */
declare const __API_PREFIX__: string
