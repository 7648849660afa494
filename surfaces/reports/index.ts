export { renderPage } from './render-page.ts';
export { runQueries } from './run-page-queries.ts';
export { PAGES_DIR, buildSite, loadPages, navigation, pageSources, type PageSource } from './site.ts';
