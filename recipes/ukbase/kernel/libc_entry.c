/*
 * Entering the C library as a Linux kernel would start a static program.
 *
 * musl's __libc_start_main(main, argc, argv) reads the environment and the
 * auxiliary vector after argv, sets up TLS from the PT_TLS program header
 * (via AT_PHDR), runs .init_array (global constructors, in linker.ld's
 * order) and calls main, then exit(). libunwind finds .eh_frame_hdr the same
 * way, through dl_iterate_phdr() and PT_GNU_EH_FRAME.
 *
 * The image is booted as ELF32 (objcopy'd for the multiboot loader), so its
 * ELF64 program headers are not in memory: build equivalent ones from the
 * linker script's symbols.
 */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/arch.h"
#include "kernel/service.h"

/* musl */
int __libc_start_main(int (*main)(int, char**, char**), int argc, char** argv,
                      void (*init)(void), void (*fini)(void), void (*ldso_fini)(void));

/* linker.ld */
extern char __image_start[], _end[];
extern char __tdata_start[], __tdata_end[], __tbss_end[];
extern char __tls_align[];          /* an absolute symbol: the alignment */
extern char __eh_frame_hdr_start[], __eh_frame_hdr_end[];

enum { PH_LOAD, PH_TLS, PH_EH_FRAME, PH_STACK, PH_COUNT };

static Elf64_Phdr phdrs[PH_COUNT];

/* See linker.ld: one initialised and one zeroed thread-local, so that the
 * .tdata and .tbss output sections always exist. */
__thread char __ukbase_tls_data_anchor = 1;
__thread char __ukbase_tls_bss_anchor;
static uint8_t at_random[16];
static char* start_vector[32];      /* argv, NULL, envp NULL, auxv pairs */

static void build_phdrs(void)
{
  uintptr_t image = (uintptr_t)__image_start, end = (uintptr_t)_end;
  phdrs[PH_LOAD] = (Elf64_Phdr){
    .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
    .p_offset = 0, .p_vaddr = image, .p_paddr = image,
    .p_filesz = end - image, .p_memsz = end - image, .p_align = 0x1000,
  };
  uintptr_t tls = (uintptr_t)__tdata_start;
  phdrs[PH_TLS] = (Elf64_Phdr){
    .p_type = PT_TLS, .p_flags = PF_R,
    .p_vaddr = tls, .p_paddr = tls,
    .p_filesz = (uintptr_t)__tdata_end - tls,
    .p_memsz = (uintptr_t)__tbss_end - tls,
    .p_align = (uintptr_t)__tls_align,
  };
  uintptr_t eh = (uintptr_t)__eh_frame_hdr_start;
  phdrs[PH_EH_FRAME] = (Elf64_Phdr){
    .p_type = PT_GNU_EH_FRAME, .p_flags = PF_R,
    .p_vaddr = eh, .p_paddr = eh,
    .p_filesz = (uintptr_t)__eh_frame_hdr_end - eh,
    .p_memsz = (uintptr_t)__eh_frame_hdr_end - eh, .p_align = 4,
  };
  phdrs[PH_STACK] = (Elf64_Phdr){
    .p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W,
  };
}

void libc_start(void)
{
  build_phdrs();
  arch_random(at_random, sizeof at_random);

  /* argv[0] only: the service's own argv is built by Service::start(). */
  static char binary_name[128];
  const char* name = __ukbase_service_binary_name();
  size_t i = 0;
  for (; name && name[i] && i + 1 < sizeof binary_name; i++)
    binary_name[i] = name[i];
  binary_name[i] = 0;

  char** v = start_vector;
  size_t n = 0;
  v[n++] = binary_name;                     /* argv */
  v[n++] = NULL;
  v[n++] = NULL;                            /* envp */
#define AUX(type, value) (v[n++] = (char*)(uintptr_t)(type), v[n++] = (char*)(uintptr_t)(value))
  AUX(AT_PHDR, phdrs);
  AUX(AT_PHENT, sizeof(Elf64_Phdr));
  AUX(AT_PHNUM, PH_COUNT);
  AUX(AT_PAGESZ, 4096);
  AUX(AT_HWCAP, arch_hwcap());
  AUX(AT_CLKTCK, 100);
  AUX(AT_RANDOM, at_random);
  AUX(AT_UID, 0);
  AUX(AT_EUID, 0);
  AUX(AT_GID, 0);
  AUX(AT_EGID, 0);
  AUX(AT_SECURE, 0);
  AUX(AT_EXECFN, binary_name);
  AUX(AT_NULL, 0);
#undef AUX

  __libc_start_main(__ukbase_service_main, 1, v, NULL, NULL, NULL);
  /* __libc_start_main ends in exit(), which ends in kernel_exit(). */
  kernel_exit(0);
}
