// The "vfs" plugin ([platform] plugins = ["vfs"], plugins/libvfs.a), as
// IncludeOS's "VFS Mounter". On ukbase /dev/random and /dev/urandom are
// always there (std::random_device needs /dev/urandom), and config.json's
// "vfs" mounts are made at boot whether or not the plugin is linked (as
// the "net" part is); the plugin makes the two devices part of the tree
// that fs::print_tree() and root().child_count() show, as IncludeOS's
// plugin mounts them there.
#include "kernel/vfs.hpp"

namespace {

struct Vfs_plugin {
  Vfs_plugin() { ukbase::vfs::show_random_devices(); }
} plugin;

}  // namespace
