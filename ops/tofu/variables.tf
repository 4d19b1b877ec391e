variable "hcloud_token" {
  description = "Hetzner Cloud API token (read/write). Pass it through TF_VAR_hcloud_token; never commit it."
  type        = string
  sensitive   = true
}

variable "ssh_public_keys" {
  description = "SSH public keys allowed to log in as root, by name (uploaded to the Hetzner project)."
  type        = map(string)

  validation {
    condition     = length(var.ssh_public_keys) > 0
    error_message = "Give at least one SSH public key: without one Hetzner mails a root password."
  }
}

variable "image" {
  description = "Server image. Debian 13 ships Node.js 20, which tesd needs."
  type        = string
  default     = "debian-13"
}

variable "server_type" {
  description = "Hetzner server type of every bootstrap node."
  type        = string
  default     = "cx22"
}

variable "locations" {
  description = "Bootstrap nodes: server name => Hetzner location. One node per location keeps them apart."
  type        = map(string)
  default = {
    "tesd-fsn1" = "fsn1"
    "tesd-hel1" = "hel1"
  }

  validation {
    condition     = alltrue([for name in keys(var.locations) : can(regex("^[a-z0-9][a-z0-9-]{0,62}$", name))])
    error_message = "Server names must be lower-case host names."
  }
}

variable "enable_ipv6" {
  description = "Give every node a public IPv6 address and make tesd listen dual-stack."
  type        = bool
  default     = true
}

variable "metrics_allowlist" {
  description = "CIDRs that may scrape the metrics port. Empty (the default) keeps metrics on loopback and the port closed."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for cidr in var.metrics_allowlist : can(cidrhost(cidr, 0))])
    error_message = "metrics_allowlist entries must be CIDRs, e.g. 198.51.100.7/32."
  }
}

variable "ssh_allowlist" {
  description = "CIDRs that may reach SSH (key login only). Narrow it to your own addresses when you can."
  type        = list(string)
  default     = ["0.0.0.0/0", "::/0"]

  validation {
    condition     = alltrue([for cidr in var.ssh_allowlist : can(cidrhost(cidr, 0))])
    error_message = "ssh_allowlist entries must be CIDRs."
  }
}

variable "tesd_package" {
  description = "What `npm install --global` installs: a registry spec (tesseras-node@0.1.0) or the URL of a release tarball made by `npm pack`."
  type        = string
  default     = "tesseras-node"

  validation {
    condition     = can(regex("^[A-Za-z0-9@/:._~+=%-]+$", var.tesd_package))
    error_message = "tesd_package must be one word: no spaces or quotes."
  }
}

variable "extra_bootstrap" {
  description = "More `[ID@]host:port` peers every node starts from, besides the other bootstrap nodes."
  type        = list(string)
  default     = []
}

variable "difficulty" {
  description = "Proof-of-work difficulty of the node identity (SPEC §1)."
  type        = number
  default     = 8
}

variable "strict_ip_diversity" {
  description = "Apply the strict IP-diversity rule of SPEC §2 to the routing table."
  type        = bool
  default     = false
}
