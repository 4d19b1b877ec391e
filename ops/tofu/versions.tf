# OpenTofu >= 1.6 and the Hetzner Cloud provider. `location` on hcloud_primary_ip needs
# provider 1.58 or later (the older `datacenter` argument is deprecated by the API).
terraform {
  required_version = ">= 1.6.0"

  required_providers {
    hcloud = {
      source  = "hetznercloud/hcloud"
      version = "~> 1.58"
    }
  }
}

provider "hcloud" {
  token = var.hcloud_token
}
