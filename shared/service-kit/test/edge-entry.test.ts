import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { tsFiles } from './source-files.js';

/**
 * `@gatehouse/service-kit/edge` is the kit without its database half: the gateway imports only it, so MikroORM, knex
 * and pg (≈ 550 modules, docs/performance.md) never load in a process that has no database. What counts is what
 * runs: each file's imports once TypeScript has erased its types.
 */

const KIT_SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
const GATEWAY_SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../../gateway/src');
const DATABASE_PACKAGES = /^(@mikro-orm\/|knex$|pg$|nodemailer$)/;

/** Every specifier a file loads at run time: what the module still imports once TypeScript has erased its types. */
function runtimeImports(source: string): string[] {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...outputText.matchAll(pattern)].map((match) => match[1] as string));
}

/** The kit files `entry` loads, transitively, and the packages they load. */
function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of runtimeImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else if (!specifier.startsWith('node:')) packages.add(specifier);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('the kit without its database half', () => {
  it('loads no database package, however deep', () => {
    const { packages } = closure(join(KIT_SRC, 'edge.ts'));
    expect([...packages].filter((name) => DATABASE_PACKAGES.test(name))).toEqual([]);
  });

  it('is what the package root loads with the database half (the check above would see the root load MikroORM)', () => {
    const { packages } = closure(join(KIT_SRC, 'index.ts'));
    expect([...packages].some((name) => DATABASE_PACKAGES.test(name))).toBe(true);
    expect(runtimeImports(readFileSync(join(KIT_SRC, 'index.ts'), 'utf8'))).toContain('./edge.js');
  });

  it('is the only part of the kit the gateway loads', () => {
    const kitImports = tsFiles(GATEWAY_SRC).flatMap((file) =>
      runtimeImports(readFileSync(file, 'utf8'))
        .filter((specifier) => specifier.startsWith('@gatehouse/service-kit'))
        .map((specifier) => ({ file: file.slice(GATEWAY_SRC.length + 1), specifier })),
    );
    expect(kitImports.length).toBeGreaterThan(0);
    expect(kitImports.filter(({ specifier }) => specifier !== '@gatehouse/service-kit/edge')).toEqual([]);
  });
});
