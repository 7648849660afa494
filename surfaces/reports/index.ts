export { renderPage, runQueries } from './render-page.ts';
export { PAGES_DIR, buildSite, loadPages, navigation, pageSources, type PageSource } from './site.ts';
