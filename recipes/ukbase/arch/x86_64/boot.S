/*
 * Boot: Multiboot v1 entry in 32-bit protected mode, identity-mapped page
 * tables, long mode, then arch_boot() in C.
 *
 * The loader (QEMU -kernel, GRUB, syslinux) enters _start with
 *   eax = 0x2BADB002, ebx = physical address of the multiboot info,
 * paging off, interrupts off, flat 4 GiB segments, no usable stack.
 *
 * Memory map built here (all identity: virtual == physical):
 *   0 - 4 KiB       not present, so NULL dereferences fault
 *   4 KiB - 2 MiB   4 KiB pages
 *   2 MiB - 4 GiB   2 MiB pages (RAM, ACPI tables, LAPIC/IOAPIC/PCI MMIO)
 * RAM above 4 GiB is mapped later by C code if present.
 */

#define MULTIBOOT_MAGIC        0x1BADB002
#define MULTIBOOT_PAGE_ALIGN   (1 << 0)
#define MULTIBOOT_MEMORY_INFO  (1 << 1)
#define MULTIBOOT_FLAGS        (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)

#define PTE_PRESENT   0x001
#define PTE_WRITE     0x002
#define PTE_HUGE      0x080

#define CR0_PE        (1 << 0)
#define CR0_MP        (1 << 1)
#define CR0_EM        (1 << 2)
#define CR0_PG        (1 << 31)
#define CR4_PAE       (1 << 5)
#define CR4_OSFXSR    (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER      0xC0000080
#define EFER_LME      (1 << 8)

#define BOOT_STACK_SIZE (512 * 1024)

/* The header must sit in the first 8 KiB of the image: linker.ld puts
 * .multiboot first. No address fields: the loader reads the ELF headers. */
        .section .multiboot, "a"
        .align 4
multiboot_header:
        .long MULTIBOOT_MAGIC
        .long MULTIBOOT_FLAGS
        .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

        .section .text.boot, "ax"
        .code32
        .globl _start
        .type _start, @function
_start:
        cli
        cld
        movl    %eax, %ebp              /* multiboot magic */
        movl    %ebx, %esi              /* multiboot info (cpuid clobbers ebx) */

        /* Clear .bss (not the stack): not every loader zero-fills. */
        movl    $__bss_start, %edi
        movl    $__bss_end, %ecx
        subl    %edi, %ecx
        shrl    $2, %ecx
        xorl    %eax, %eax
        rep stosl

        movl    $boot_stack_top, %esp

        /* The BIOS data area (page 0) is unmapped once paging is on; keep
         * the EBDA segment for the ACPI RSDP search. */
        movzwl  0x40E, %eax
        movl    %eax, boot_ebda_segment

        /* Long mode available? (CPUID 0x80000001 EDX bit 29) */
        movl    $0x80000000, %eax
        cpuid
        cmpl    $0x80000001, %eax
        jb      .Lno_long_mode
        movl    $0x80000001, %eax
        cpuid
        btl     $29, %edx
        jnc     .Lno_long_mode

        /* PML4[0] -> PDPT (the tables are in the cleared .bss) */
        movl    $boot_pdpt, %eax
        orl     $(PTE_PRESENT | PTE_WRITE), %eax
        movl    %eax, boot_pml4

        /* PDPT[0..3] -> the four page directories */
        movl    $boot_pd, %eax
        orl     $(PTE_PRESENT | PTE_WRITE), %eax
        xorl    %ecx, %ecx
1:      movl    %eax, boot_pdpt(, %ecx, 8)
        addl    $4096, %eax
        incl    %ecx
        cmpl    $4, %ecx
        jne     1b

        /* 2048 entries of 2 MiB: 0 - 4 GiB */
        xorl    %ecx, %ecx
1:      movl    %ecx, %eax
        shll    $21, %eax
        orl     $(PTE_PRESENT | PTE_WRITE | PTE_HUGE), %eax
        movl    %eax, boot_pd(, %ecx, 8)
        incl    %ecx
        cmpl    $2048, %ecx
        jne     1b

        /* ... except the first 2 MiB: 4 KiB pages, page 0 left out */
        movl    $boot_pt0, %eax
        orl     $(PTE_PRESENT | PTE_WRITE), %eax
        movl    %eax, boot_pd
        movl    $1, %ecx
1:      movl    %ecx, %eax
        shll    $12, %eax
        orl     $(PTE_PRESENT | PTE_WRITE), %eax
        movl    %eax, boot_pt0(, %ecx, 8)
        incl    %ecx
        cmpl    $512, %ecx
        jne     1b

        /* PAE, and SSE for the service code (FXSAVE/FXRSTOR, #XM) */
        movl    %cr4, %eax
        orl     $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
        movl    %eax, %cr4

        movl    $boot_pml4, %eax
        movl    %eax, %cr3

        movl    $MSR_EFER, %ecx
        rdmsr
        orl     $EFER_LME, %eax
        wrmsr

        /* Paging on (this activates long mode); FPU native, not emulated */
        movl    %cr0, %eax
        andl    $~CR0_EM, %eax
        orl     $(CR0_PG | CR0_MP | CR0_PE), %eax
        movl    %eax, %cr0

        lgdt    boot_gdt_ptr
        ljmp    $0x08, $long_mode

.Lno_long_mode:
        movl    $no_long_mode_msg, %esi
1:      lodsb
        testb   %al, %al
        jz      2f
        movw    $0x3F8, %dx
        outb    %al, %dx
        jmp     1b
2:      cli
        hlt
        jmp     2b

        .code64
long_mode:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        xorw    %ax, %ax
        movw    %ax, %fs
        movw    %ax, %gs
        movq    $boot_stack_top, %rsp
        /* arch_boot(magic, info); upper register halves are undefined after
         * the mode switch, 32-bit moves clear them. */
        movl    %ebp, %edi
        movl    %esi, %esi
        xorl    %ebp, %ebp
        finit
        call    arch_boot
1:      cli
        hlt
        jmp     1b
        .size _start, . - _start

        .section .rodata.boot, "a"
no_long_mode_msg:
        .asciz  "ukbase: this CPU has no 64-bit long mode\n"

        /* The GDT used to enter long mode; gdt.c installs the final one
         * (same selectors) with a TSS. */
        .align 8
boot_gdt:
        .quad   0
        .quad   0x00AF9A000000FFFF      /* 0x08: 64-bit code, ring 0 */
        .quad   0x00CF92000000FFFF      /* 0x10: data, ring 0 */
boot_gdt_end:
boot_gdt_ptr:
        .word   boot_gdt_end - boot_gdt - 1
        .long   boot_gdt

        .section .data.boot, "aw"
        .globl boot_ebda_segment
        .align 4
boot_ebda_segment:
        .long   0

        .section .bss.boot, "aw", @nobits
        .align 4096
        .globl boot_pml4, boot_pdpt, boot_pd, boot_pt0
boot_pml4:      .skip 4096
boot_pdpt:      .skip 4096
boot_pd:        .skip 4096 * 4
boot_pt0:       .skip 4096

        /* The one kernel/service stack (interrupts run on IST stacks).
         * Its own section: linker.ld puts it after the cleared .bss. */
        .section .stack, "aw", @nobits
        .align 4096
        .globl boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:                       /* unmapped once paging is set up: an overflow faults */
        .skip 4096
boot_stack_bottom:
        .skip BOOT_STACK_SIZE
boot_stack_top:
