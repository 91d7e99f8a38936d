import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every .ts file under `dir`, at any depth: what the source-shape tests read. */
export function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}
