/**
 * infra/grafana/gatehouse.json imports as-is: valid JSON, every `${DS_…}` placeholder declared in
 * `__inputs` (Grafana asks for each one at import), and every panel and query on the chosen data source.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Panels name the dashboard's data-source variable, resolved at view time. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own placeholder syntax, not a template.
const DATASOURCE_VARIABLE = '${datasource}';
const text = readFileSync(resolve(root, 'infra/grafana/gatehouse.json'), 'utf8');

interface Panel {
  id?: number;
  title?: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ datasource?: { type: string; uid: string } }>;
  panels?: Panel[];
}

describe('Grafana dashboard (infra/grafana/gatehouse.json)', () => {
  const dashboard = JSON.parse(text) as {
    __inputs?: Array<{ name: string; type: string; pluginId: string }>;
    __requires?: Array<{ type: string; id: string }>;
    templating: { list: Array<{ name: string; type: string; query?: unknown }> };
    panels: Panel[];
  };

  it('declares every DS_… placeholder it uses as a Prometheus data-source input', () => {
    const placeholders = new Set([...text.matchAll(/\$\{(DS_[A-Z0-9_]+)\}/g)].map((m) => m[1] as string));
    expect(placeholders.size).toBeGreaterThan(0);
    for (const name of placeholders)
      expect(dashboard.__inputs, name).toContainEqual(
        expect.objectContaining({ name, type: 'datasource', pluginId: 'prometheus' }),
      );
    expect(dashboard.__requires).toContainEqual(expect.objectContaining({ type: 'datasource', id: 'prometheus' }));
  });

  it('queries the data source variable in every panel, with unique panel ids', () => {
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
    const queried = panels.filter((panel) => (panel.targets ?? []).length > 0);
    expect(queried.length).toBeGreaterThan(5);
    for (const panel of queried) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: DATASOURCE_VARIABLE });
      for (const target of panel.targets ?? [])
        if (target.datasource) expect(target.datasource, panel.title).toEqual(panel.datasource);
    }
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
