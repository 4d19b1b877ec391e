// Prints the Grafana dashboard's PromQL queries as a Prometheus rule file, so that
// `promtool check rules` parses every one of them offline (ops/check). Grafana's variables
// are replaced by values a query would have at run time.
import { readFileSync } from 'node:fs';

const dashboard = JSON.parse(readFileSync(new URL('./tesd.json', import.meta.url), 'utf8'));
const substitute = (expr) =>
  expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$job', 'tesd')
    .replaceAll('$instance', '.*');
const rules = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((target, i) => ({
    record: `dashboard:panel_${panel.id}_${i}`,
    expr: substitute(target.expr),
  })),
);
if (rules.length === 0) throw new Error('ops/grafana/tesd.json has no queries');
// JSON is YAML: promtool reads it as a rule file.
console.log(JSON.stringify({ groups: [{ name: 'dashboard', rules }] }, null, 2));
