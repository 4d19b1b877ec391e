output "nodes" {
  description = "Each bootstrap node's location and public addresses."
  value = {
    for name, server in hcloud_server.bootstrap : name => {
      location = server.location
      ipv4     = server.ipv4_address
      ipv6     = var.enable_ipv6 ? server.ipv6_address : null
    }
  }
}

output "bootstrap_addresses" {
  description = "host:port of every node, for the `bootstrap` array of a tesd config file."
  value = concat(
    [for server in hcloud_server.bootstrap : "${server.ipv4_address}:${local.quic_port}"],
    var.enable_ipv6 ? [for server in hcloud_server.bootstrap : "[${server.ipv6_address}]:${local.quic_port}"] : [],
  )
}

output "bootstrap_flags" {
  description = "`tesd run` flags naming every node. Prefix each address with the ID that `tesd identity` prints on that node to get the ID@host:port form."
  value = join(" ", concat(
    [for server in hcloud_server.bootstrap : "--bootstrap ${server.ipv4_address}:${local.quic_port}"],
    var.enable_ipv6 ? [for server in hcloud_server.bootstrap : "--bootstrap [${server.ipv6_address}]:${local.quic_port}"] : [],
  ))
}

output "identity_commands" {
  description = "Run these to read each node's ID (for ID@host:port)."
  value = {
    for name, server in hcloud_server.bootstrap : name => "ssh root@${server.ipv4_address} runuser -u tesseras -- tesd identity --data-dir /var/lib/tesseras"
  }
}
