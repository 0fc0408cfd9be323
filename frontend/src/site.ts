/**
 * The app's name as people read it: the header, the browser tab and index.html's <title> and
 * description (vite.config.js puts these two into the page at build time). Change it here.
 */
export const SITE_TITLE = 'URL check'

export const SITE_DESCRIPTION =
  'Checks that every URL comes out right when a Flask API runs behind nginx.'
