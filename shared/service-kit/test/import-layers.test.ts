import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tsFiles } from './source-files.js';

/**
 * A service's capability folders (the folders directly under src/) form layers: a folder may
 * import a lower one, never one that imports it back, directly or round a cycle. Files directly
 * in src/ (app.ts, definition.ts, context.ts, config.ts, main.ts) compose the service and are
 * not capability folders. Type-only imports count: they couple the folders as much as any other.
 */

const SERVICES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../services');

/** Every relative specifier a file imports or re-exports, static or dynamic, type-only or not. */
function relativeImports(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g,
    /\bimport\s*['"](\.{1,2}\/[^'"]+)['"]/g,
    /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] as string));
}

/** The capability folder a path under src/ belongs to, or null for src/'s own files and paths outside it. */
function folderOf(srcDir: string, path: string): string | null {
  const parts = relative(srcDir, path).split(sep);
  return parts.length > 1 && parts[0] !== '..' ? (parts[0] as string) : null;
}

/** Folder → the folders it imports, each with one import that shows the edge. */
type FolderGraph = Map<string, Map<string, string>>;

function folderGraph(srcDir: string): FolderGraph {
  const graph: FolderGraph = new Map();
  for (const file of tsFiles(srcDir)) {
    const from = folderOf(srcDir, file);
    if (!from) continue;
    for (const specifier of relativeImports(readFileSync(file, 'utf8'))) {
      const to = folderOf(srcDir, resolve(dirname(file), specifier));
      if (!to || to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      if (!edges.has(to)) edges.set(to, `${relative(srcDir, file)} imports '${specifier}'`);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** Each cycle found, as the folders round it with the import behind every step. */
function folderCycles(graph: FolderGraph): string[] {
  const cycles: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (folder: string): void => {
    const start = path.indexOf(folder);
    if (start >= 0) {
      const round = [...path.slice(start), folder];
      const steps = round.slice(1).map((to, index) => {
        const from = round[index] as string;
        return `  ${from} -> ${to} (${graph.get(from)?.get(to)})`;
      });
      cycles.push(`${round.join(' -> ')}\n${steps.join('\n')}`);
      return;
    }
    if (done.has(folder)) return;
    path.push(folder);
    for (const to of graph.get(folder)?.keys() ?? []) visit(to);
    path.pop();
    done.add(folder);
  };
  for (const folder of [...graph.keys()].sort()) visit(folder);
  return cycles;
}

describe('the cycle check itself', () => {
  it('reads every kind of relative import, over several lines too', () => {
    const source = [
      "import { a } from '../one/a.js';",
      "import type {\n  B,\n  C,\n} from '../two/b.js';",
      "export { d } from './d.js';",
      "import '../three/side-effect.js';",
      "const lazy = await import('../four/lazy.js');",
      "import { kit } from '@gatehouse/service-kit';",
    ].join('\n');
    expect(relativeImports(source).sort()).toEqual(
      ['../four/lazy.js', '../one/a.js', '../three/side-effect.js', '../two/b.js', './d.js'].sort(),
    );
  });

  it('finds a cycle round three folders and none in a layered graph', () => {
    const edge = (to: string) => [to, 'x'] as const;
    const cyclic: FolderGraph = new Map([
      ['a', new Map([edge('b')])],
      ['b', new Map([edge('c')])],
      ['c', new Map([edge('a')])],
    ]);
    const layered: FolderGraph = new Map([
      ['top', new Map([edge('middle'), edge('bottom')])],
      ['middle', new Map([edge('bottom')])],
    ]);
    expect(folderCycles(cyclic)).toHaveLength(1);
    expect(folderCycles(cyclic)[0]).toMatch(/^a -> b -> c -> a\n/);
    expect(folderCycles(layered)).toEqual([]);
  });
});

const services = readdirSync(SERVICES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('capability folders import each other in one direction only', () => {
  it('covers every service', () => {
    expect(services).toEqual(expect.arrayContaining(['identity', 'organization', 'project']));
  });

  it.each(services)('%s: no two folders under src/ import each other, directly or round a cycle', (service) => {
    const cycles = folderCycles(folderGraph(join(SERVICES, service, 'src')));
    expect(cycles, `folder cycles in services/${service}/src:\n${cycles.join('\n')}`).toEqual([]);
  });
});
