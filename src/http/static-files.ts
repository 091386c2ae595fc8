import { readFileSync } from 'node:fs';

/** Where the status page's files live, from src/http or dist/http alike. */
export const WEB_DIR = new URL('../../web/', import.meta.url);

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

const FILES: Record<string, { file: string; contentType: string }> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/status.css': { file: 'status.css', contentType: 'text/css; charset=utf-8' },
  '/status.js': { file: 'status.js', contentType: 'text/javascript; charset=utf-8' },
};

/** The status page (plain HTML, CSS and JS, no build step), read once, by URL path. */
export function loadStaticFiles(dir: URL = WEB_DIR): ReadonlyMap<string, StaticFile> {
  return new Map(
    Object.entries(FILES).map(([path, { file, contentType }]) => [
      path,
      { body: readFileSync(new URL(file, dir)), contentType },
    ]),
  );
}
