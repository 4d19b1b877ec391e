// Offline check of ops/tofu: every .tf file parses as HCL (through @cdktf/hcl2json, the HCL
// parser of HashiCorp compiled to WebAssembly), and the parsed configuration declares what
// issue 6 asks for. OpenTofu itself cannot be installed in CI, so this stands in for
// `tofu validate` on the parts that matter: provider, servers, locations, firewall rules.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';

const opsDir = dirname(fileURLToPath(import.meta.url));
const tofuDir = join(opsDir, 'tofu');
const QUIC_PORT = '4433';
const METRICS_PORT = '9464';
const ADMIN_PORT = '4480';
const EVERYONE = ['0.0.0.0/0', '::/0'];

const failures = [];
function check(condition, message) {
  if (!condition) failures.push(message);
  return condition;
}

/** Merges the JSON of every .tf file: blocks of one kind from several files side by side. */
async function parseConfiguration() {
  const merged = {
    terraform: [],
    provider: {},
    variable: {},
    locals: [],
    resource: {},
    output: {},
  };
  const files = readdirSync(tofuDir).filter((name) => name.endsWith('.tf'));
  check(files.length > 0, 'ops/tofu holds no .tf file');
  for (const file of files) {
    const json = await parseFile(file);
    merged.terraform.push(...(json.terraform ?? []));
    merged.locals.push(...(json.locals ?? []));
    for (const kind of ['provider', 'variable', 'output']) Object.assign(merged[kind], json[kind]);
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      merged.resource[type] = { ...merged.resource[type], ...byName };
    }
  }
  // The example variables file is HCL too: it must parse, and it must not hold the token.
  const example = await parseFile('terraform.tfvars.example');
  check(!('hcloud_token' in example), 'terraform.tfvars.example must not set hcloud_token');
  return merged;
}

async function parseFile(file) {
  try {
    return await parse(file, readFileSync(join(tofuDir, file), 'utf8'));
  } catch (error) {
    console.error(`check-hcl: ops/tofu/${file} does not parse: ${error.message}`);
    process.exit(1);
  }
}

function variableDefault(config, name) {
  return config.variable[name]?.[0]?.default;
}

/** Resolves `${local.x}` and `${var.x}` (to its default); other values come back as they are. */
function resolve(config, value) {
  if (typeof value !== 'string') return value;
  const match = /^\$\{(local|var)\.(\w+)\}$/.exec(value);
  if (match === null) return value;
  const [, scope, name] = match;
  if (scope === 'var') return variableDefault(config, name);
  const block = config.locals.find((locals) => name in locals);
  return block?.[name];
}

function portIncludes(portSpec, port) {
  if (portSpec === undefined) return false;
  const text = String(portSpec);
  if (text === 'any') return true;
  const [low, high = low] = text.split('-').map(Number);
  return Number(port) >= low && Number(port) <= high;
}

function checkProvider(config) {
  const source = config.terraform
    .flatMap((block) => block.required_providers ?? [])
    .map((providers) => providers.hcloud?.source)
    .find((value) => value !== undefined);
  check(source === 'hetznercloud/hcloud', `provider source is ${source}, want hetznercloud/hcloud`);
  check('hcloud' in config.provider, 'no provider "hcloud" block');
}

function checkVariables(config) {
  for (const name of [
    'hcloud_token',
    'ssh_public_keys',
    'image',
    'server_type',
    'locations',
    'enable_ipv6',
    'metrics_allowlist',
    'tesd_package',
  ]) {
    check(name in config.variable, `variable "${name}" is missing`);
  }
  const token = config.variable.hcloud_token?.[0];
  check(token?.sensitive === true, 'variable hcloud_token must be sensitive');
  check(token?.default === undefined, 'variable hcloud_token must have no default (no secrets)');
  const allowlist = variableDefault(config, 'metrics_allowlist');
  check(
    Array.isArray(allowlist) && allowlist.length === 0,
    'metrics_allowlist must default to an empty list',
  );
}

/** Expands every hcloud_server block to the servers it declares, with their settings. */
function declaredServers(config) {
  const servers = [];
  for (const [name, blocks] of Object.entries(config.resource.hcloud_server ?? {})) {
    for (const block of blocks) {
      const serverType = resolve(config, block.server_type);
      if (block.for_each === undefined && block.count === undefined) {
        servers.push({ name, location: resolve(config, block.location), serverType, block });
        continue;
      }
      const each = resolve(config, block.for_each);
      if (!check(each !== null && typeof each === 'object', `${name}: for_each must be a map`)) {
        continue;
      }
      for (const [key, value] of Object.entries(each)) {
        const location = block.location === '${each.value}' ? value : block.location;
        servers.push({ name: `${name}["${key}"]`, location, serverType, block });
      }
    }
  }
  return servers;
}

function checkServers(config) {
  const servers = declaredServers(config);
  check(servers.length === 2, `want 2 hcloud_server instances, found ${servers.length}`);
  const locations = servers.map((server) => server.location).sort();
  check(
    JSON.stringify(locations) === JSON.stringify(['fsn1', 'hel1']),
    `server locations are ${locations.join(', ')}, want fsn1 and hel1`,
  );
  for (const server of servers) {
    check(
      server.serverType === 'cx22',
      `${server.name}: server type ${server.serverType}, want cx22`,
    );
    check(
      JSON.stringify(server.block.firewall_ids ?? []).includes('hcloud_firewall.'),
      `${server.name}: firewall_ids must name the hcloud_firewall`,
    );
  }
  return servers;
}

/** Every rule of every firewall: static ones, and the content of dynamic "rule" blocks. */
function firewallRules(config) {
  const rules = [];
  for (const blocks of Object.values(config.resource.hcloud_firewall ?? {})) {
    for (const block of blocks) {
      for (const rule of block.rule ?? []) rules.push({ ...rule, dynamicOver: null });
      for (const dynamic of block.dynamic?.rule ?? []) {
        for (const content of dynamic.content ?? []) {
          rules.push({ ...content, dynamicOver: dynamic.for_each });
        }
      }
    }
  }
  return rules.map((rule) => ({ ...rule, port: resolve(config, rule.port) }));
}

function checkFirewall(config) {
  check(Object.keys(config.resource.hcloud_firewall ?? {}).length > 0, 'no hcloud_firewall');
  const rules = firewallRules(config).filter((rule) => rule.direction === 'in');
  const quic = rules.filter(
    (rule) => rule.protocol === 'udp' && portIncludes(rule.port, QUIC_PORT),
  );
  check(
    quic.some(
      (rule) =>
        rule.dynamicOver === null &&
        String(rule.port) === QUIC_PORT &&
        EVERYONE.every((cidr) => rule.source_ips?.includes(cidr)),
    ),
    `no firewall rule opens UDP ${QUIC_PORT} to 0.0.0.0/0 and ::/0`,
  );

  const metrics = rules.filter(
    (rule) => rule.protocol === 'tcp' && portIncludes(rule.port, METRICS_PORT),
  );
  check(metrics.length > 0, `no firewall rule for the metrics port ${METRICS_PORT}`);
  for (const rule of metrics) {
    const fromAllowlist =
      typeof rule.dynamicOver === 'string' &&
      rule.dynamicOver.includes('var.metrics_allowlist') &&
      (rule.source_ips === '${rule.value}' || rule.source_ips === '${var.metrics_allowlist}');
    check(
      fromAllowlist,
      `metrics port ${METRICS_PORT} must be opened only from var.metrics_allowlist, in a dynamic rule`,
    );
  }

  for (const rule of rules) {
    check(
      !portIncludes(rule.port, ADMIN_PORT),
      `a firewall rule opens the admin port ${ADMIN_PORT} (${rule.protocol} ${rule.port})`,
    );
    if (rule.protocol === 'tcp') {
      check(
        [METRICS_PORT, '22'].includes(String(rule.port)),
        `unexpected TCP port ${rule.port} in the firewall`,
      );
    }
  }
}

/** The templatefile() call must pass exactly the names that ops/cloud-init.yaml uses. */
function checkCloudInitTemplate(servers) {
  const template = readFileSync(join(opsDir, 'cloud-init.yaml'), 'utf8');
  check(!template.includes('%{'), 'cloud-init.yaml must hold no %{ } template directives');
  const used = new Set([...template.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1]));
  for (const name of used)
    check(/^\w+$/.test(name), `cloud-init.yaml: \${${name}} is not a plain name`);
  for (const server of servers) {
    const userData = String(server.block.user_data ?? '');
    check(
      userData.includes('templatefile(') && userData.includes('/../cloud-init.yaml'),
      `${server.name}: user_data must render ops/cloud-init.yaml with templatefile`,
    );
    check(
      userData.includes('/../tesd.service'),
      `${server.name}: user_data must embed ops/tesd.service`,
    );
    const passed = new Set([...userData.matchAll(/^\s*(\w+)\s*=/gm)].map((match) => match[1]));
    const missing = [...used].filter((name) => !passed.has(name));
    const unused = [...passed].filter((name) => !used.has(name));
    check(missing.length === 0, `${server.name}: templatefile lacks ${missing.join(', ')}`);
    check(unused.length === 0, `${server.name}: templatefile passes unused ${unused.join(', ')}`);
    check(
      /^\s*admin\s*=\s*"127\.0\.0\.1:/m.test(userData),
      `${server.name}: the admin API must stay on 127.0.0.1`,
    );
  }
}

function checkMetricsBind(config) {
  const bind = String(resolve(config, '${local.metrics_bind}') ?? '');
  check(
    bind.includes('var.metrics_allowlist') && bind.includes('127.0.0.1'),
    'local.metrics_bind must fall back to 127.0.0.1 when metrics_allowlist is empty',
  );
}

function checkOutputs(config) {
  for (const name of ['nodes', 'bootstrap_flags']) {
    check(name in config.output, `output "${name}" is missing`);
  }
  const flags = JSON.stringify(config.output.bootstrap_flags ?? '');
  check(flags.includes('--bootstrap'), 'output bootstrap_flags must print --bootstrap lines');
}

const config = await parseConfiguration();
checkProvider(config);
checkVariables(config);
const servers = checkServers(config);
checkFirewall(config);
checkCloudInitTemplate(servers);
checkMetricsBind(config);
checkOutputs(config);

if (failures.length > 0) {
  for (const failure of failures) console.error(`check-hcl: ${failure}`);
  process.exit(1);
}
console.log(
  `check-hcl: ok (${servers.length} servers in ${servers.map((server) => server.location).join(', ')}, ` +
    `${firewallRules(config).length} firewall rules)`,
);
