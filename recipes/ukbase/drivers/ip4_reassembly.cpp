// ip4_reassembly ([platform] drivers = ["ip4_reassembly"]): on IncludeOS
// this adds IPv4 fragment reassembly to the network stack. ukbase's IPv4
// always reassembles fragments (kernel/net/fragments.cpp), so the archive
// is empty and exists so that services that name it build unchanged.
