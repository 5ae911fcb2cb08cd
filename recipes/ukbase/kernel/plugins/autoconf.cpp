// autoconf ([platform] plugins = ["autoconf"]): on IncludeOS this plugin
// configures the network interfaces from the "net" part of config.json.
// ukbase's kernel does that itself at boot, before the service starts
// (DHCP included), so the archive is empty and exists so that services
// and CMakeLists translations that name it build unchanged.
