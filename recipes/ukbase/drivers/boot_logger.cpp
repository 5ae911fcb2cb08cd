// boot_logger ([platform] drivers = ["boot_logger"]): on IncludeOS this
// driver makes the kernel's boot-time INFO lines visible, which are
// otherwise held back until the service starts. ukbase's kernel always
// prints its (few) boot lines, so there is nothing to switch on: the
// archive is empty and exists so that services and CMakeLists
// translations that name it build unchanged.
