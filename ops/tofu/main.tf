locals {
  # Ports of SPEC §6. The admin API (4480) stays on loopback and is never opened here.
  quic_port    = 4433
  metrics_port = 9464
  admin_port   = 4480

  listen_host = var.enable_ipv6 ? "[::]" : "0.0.0.0"
  # Metrics leave loopback only when someone is allowed to scrape them.
  metrics_bind = length(var.metrics_allowlist) > 0 ? "${local.listen_host}:${local.metrics_port}" : "127.0.0.1:${local.metrics_port}"

  labels = { role = "tesseras-bootstrap" }
}

resource "hcloud_ssh_key" "admin" {
  for_each   = var.ssh_public_keys
  name       = each.key
  public_key = each.value
  labels     = local.labels
}

# Addresses live apart from the servers, so a rebuilt node keeps the address that clients
# have in their bootstrap lists, and each node's cloud-init can name the others.
resource "hcloud_primary_ip" "ipv4" {
  for_each      = var.locations
  name          = "${each.key}-ipv4"
  type          = "ipv4"
  location      = each.value
  assignee_type = "server"
  auto_delete   = false
  labels        = local.labels
}

resource "hcloud_primary_ip" "ipv6" {
  for_each      = var.enable_ipv6 ? var.locations : {}
  name          = "${each.key}-ipv6"
  type          = "ipv6"
  location      = each.value
  assignee_type = "server"
  auto_delete   = false
  labels        = local.labels
}

resource "hcloud_firewall" "tesd" {
  name   = "tesd-bootstrap"
  labels = local.labels

  rule {
    description = "tesseras/1 over QUIC"
    direction   = "in"
    protocol    = "udp"
    port        = local.quic_port
    source_ips  = ["0.0.0.0/0", "::/0"]
  }

  rule {
    description = "ping and path-MTU messages"
    direction   = "in"
    protocol    = "icmp"
    source_ips  = ["0.0.0.0/0", "::/0"]
  }

  dynamic "rule" {
    # A rule needs at least one source: no allowlist, no rule.
    for_each = length(var.metrics_allowlist) > 0 ? [var.metrics_allowlist] : []
    content {
      description = "Prometheus metrics, allowlisted scrapers only"
      direction   = "in"
      protocol    = "tcp"
      port        = local.metrics_port
      source_ips  = rule.value
    }
  }

  dynamic "rule" {
    for_each = length(var.ssh_allowlist) > 0 ? [var.ssh_allowlist] : []
    content {
      description = "SSH for the maintainers"
      direction   = "in"
      protocol    = "tcp"
      port        = "22"
      source_ips  = rule.value
    }
  }
}

resource "hcloud_server" "bootstrap" {
  for_each     = var.locations
  name         = each.key
  server_type  = var.server_type
  image        = var.image
  location     = each.value
  ssh_keys     = [for key in hcloud_ssh_key.admin : key.id]
  firewall_ids = [hcloud_firewall.tesd.id]
  labels       = local.labels

  public_net {
    ipv4_enabled = true
    ipv4         = hcloud_primary_ip.ipv4[each.key].id
    ipv6_enabled = var.enable_ipv6
    ipv6         = var.enable_ipv6 ? hcloud_primary_ip.ipv6[each.key].id : null
  }

  user_data = templatefile("${path.module}/../cloud-init.yaml", {
    tesd_package  = var.tesd_package
    tesd_unit_b64 = base64encode(file("${path.module}/../tesd.service"))
    bind          = "${local.listen_host}:${local.quic_port}"
    metrics       = local.metrics_bind
    admin         = "127.0.0.1:${local.admin_port}"
    difficulty    = var.difficulty
    strict_ip     = var.strict_ip_diversity

    # Every node starts from the others' fixed addresses (no IDs yet: they are made at boot).
    bootstrap_json = jsonencode(concat(
      [for name, ip in hcloud_primary_ip.ipv4 : "${ip.ip_address}:${local.quic_port}" if name != each.key],
      var.extra_bootstrap,
    ))
  })

  lifecycle {
    # user_data and image only matter at creation; a change must not silently replace a node
    # and its data directory. Upgrade in place, or replace on purpose (ops/README.md).
    ignore_changes = [user_data, image, ssh_keys]
  }
}
