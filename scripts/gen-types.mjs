#!/usr/bin/env node
// Derives the TypeScript types of the message contract from schemas/*.schema.json, so the schemas stay its only
// source. `node scripts/gen-types.mjs` rewrites src/messages/contract.generated.ts; `--check` exits 1 when the file
// is out of date (a unit test runs the same check).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const target = `${root}src/messages/contract.generated.ts`;

export async function generate() {
  const files = (await readdir(`${root}schemas`)).filter((f) => f.endsWith('.schema.json')).sort();
  const parts = [
    '/* eslint-disable */',
    '// Generated from schemas/ by scripts/gen-types.mjs: do not edit by hand.',
    '',
  ];
  for (const file of files) {
    const schema = JSON.parse(await readFile(`${root}schemas/${file}`, 'utf8'));
    const ts = await compile(schema, schema.title, {
      bannerComment: '',
      additionalProperties: false,
      strictIndexSignatures: true,
      format: true,
      style: { singleQuote: true, printWidth: 120 },
    });
    parts.push(`// ${file}`, ts.trim(), '');
  }
  return parts.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await generate();
  if (process.argv.includes('--check')) {
    const current = await readFile(target, 'utf8').catch(() => '');
    if (current !== text) {
      console.error('src/messages/contract.generated.ts is out of date: run `npm run gen:types`');
      process.exit(1);
    }
  } else {
    await writeFile(target, text);
  }
}
