// Renders ops/cloud-init.yaml the way ops/tofu/main.tf does (templatefile with plain
// `${name}` substitutions), with the values of ops/tesd.config.example.json, so that the
// check can validate the user data a node really gets and compare the config file it writes
// with the example. Usage: node ops/render-cloud-init.mjs OUT.yaml
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const opsDir = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (out === undefined) {
  console.error('usage: node ops/render-cloud-init.mjs OUT.yaml');
  process.exit(2);
}

const example = JSON.parse(readFileSync(join(opsDir, 'tesd.config.example.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(opsDir, '..', 'package.json'), 'utf8'));
// Strings as tofu passes them: numbers and bools by their text, the list through jsonencode.
const values = {
  tesd_package: `${pkg.name}@${pkg.version}`,
  tesd_unit_b64: readFileSync(join(opsDir, 'tesd.service')).toString('base64'),
  bind: example.bind,
  metrics: example.metrics,
  admin: example.admin,
  difficulty: String(example.difficulty),
  strict_ip: String(example.strictIpDiversity),
  bootstrap_json: JSON.stringify(example.bootstrap),
};

const template = readFileSync(join(opsDir, 'cloud-init.yaml'), 'utf8');
const unused = new Set(Object.keys(values));
const rendered = template.replace(/\$\{([^}]*)\}/g, (_, name) => {
  if (!(name in values)) {
    console.error(`render-cloud-init: no value for \${${name}}`);
    process.exit(1);
  }
  unused.delete(name);
  return values[name];
});
if (unused.size > 0) {
  console.error(`render-cloud-init: template does not use ${[...unused].join(', ')}`);
  process.exit(1);
}
writeFileSync(out, rendered);
