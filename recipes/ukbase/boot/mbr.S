/*
 * ukboot: the one-sector boot loader of ukbase's bootable disk images,
 * protocol "ukboot-1" (docs/platform.md):
 *
 *   LBA 0   this sector
 *   LBA 1   header: "UKBOOT01", u32 payload_lba, payload_sectors,
 *           load_address, entry, payload_bytes, 0; from byte 32 the
 *           command line (NUL-terminated)
 *   LBA 2.. the payload: the kernel's loadable segments, laid out flat
 *           from load_address (.bss not included: the kernel clears it)
 *
 * Runs in real mode from the BIOS (SeaBIOS on QEMU's pc), so the disk can
 * be anything the BIOS boots from: IDE, virtio-blk, AHCI, USB.
 *
 *   1. A20 on (fast A20 gate, port 0x92).
 *   2. Read the header (INT 13h AH=42h, extended read by LBA).
 *   3. Memory: INT 12h (below 1 MiB) and the INT 15h E820 map, straight
 *      into the multiboot memory map; the payload must fit in the RAM
 *      that starts at 1 MiB.
 *   4. Read the payload 127 sectors at a time into a bounce buffer at
 *      0x10000, and copy each chunk to its place above 1 MiB in "unreal"
 *      mode (DS/ES with 4 GiB limits, entered again before every copy:
 *      BIOS calls may reset the hidden limits), interrupts off meanwhile.
 *   5. A multiboot v1 information structure (memory, command line, memory
 *      map, loader name "ukboot"), then 32-bit protected mode and a jump
 *      to the entry with EAX = 0x2BADB002 and EBX = the structure: the
 *      kernel starts exactly as under a multiboot loader (qemu -kernel).
 *
 * The payload can be as large as the RAM above 1 MiB and 4 GiB - its load
 * address; platform.toml announces 512 MiB ([image] max_payload).
 *
 * Low memory used: 0x7C00 this code (stack below it), 0x7E00 the header
 * (the command line stays there for the kernel to copy), 0x8000 the
 * multiboot information, 0x8100 the memory map, 0x10000 the bounce buffer.
 */

#define HEADER          0x7E00
#define H_PAYLOAD_LBA   (HEADER + 8)
#define H_SECTORS       (HEADER + 12)
#define H_LOAD          (HEADER + 16)
#define H_ENTRY         (HEADER + 20)
#define H_BYTES         (HEADER + 24)
#define H_CMDLINE       (HEADER + 32)

#define MBI             0x8000          /* struct multiboot_info */
#define MBI_FLAGS       (MBI + 0)
#define MBI_MEM_LOWER   (MBI + 4)
#define MBI_MEM_UPPER   (MBI + 8)
#define MBI_CMDLINE     (MBI + 16)
#define MBI_MMAP_LENGTH (MBI + 44)
#define MBI_MMAP_ADDR   (MBI + 48)
#define MBI_LOADER_NAME (MBI + 64)
#define MBI_SIZE        88
/* mem_lower/upper, cmdline, mmap, boot_loader_name */
#define MBI_FLAG_BITS   ((1 << 0) | (1 << 2) | (1 << 6) | (1 << 9))

#define MMAP            0x8100          /* entries: u32 size (20), then E820's 20 bytes */
#define MMAP_END        0xF000
#define BOUNCE_SEG      0x1000          /* 0x10000 */
#define BOUNCE          0x10000
#define CHUNK           127             /* sectors per BIOS read (the common limit) */

#define SMAP            0x534D4150
#define COM1_LSR        0x3FD

        .code16
        .section .text
        .globl _start
_start:
        cli
        xorw    %ax, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %ss
        movw    $0x7C00, %sp            /* (CS may be 0 or 07C0h: only relative jumps) */
        sti
        cld
        movb    %dl, dap_drive          /* the drive the BIOS booted from */

        inb     $0x92, %al              /* A20 */
        orb     $2, %al
        andb    $0xFE, %al
        outb    %al, $0x92

        /* The header: the packet's initial values read LBA 1 to 0x7E00. */
        call    read_dap
        movw    $msg_header, %si
        cmpl    $0x4F424B55, HEADER     /* "UKBO" */
        jne     fail
        cmpl    $0x3130544F, HEADER + 4 /* "OT01" */
        jne     fail

        /* Multiboot information and memory map. */
        movw    $MBI, %di
        movw    $(MBI_SIZE / 2), %cx
        xorw    %ax, %ax
        rep stosw
        movw    $MBI_FLAG_BITS, MBI_FLAGS
        int     $0x12                   /* KiB below 1 MiB (EBDA excluded) */
        movw    %ax, MBI_MEM_LOWER
        movw    $H_CMDLINE, MBI_CMDLINE
        movw    $MMAP, MBI_MMAP_ADDR
        movw    $loader_name, MBI_LOADER_NAME

        movw    $(MMAP + 4), %di
        xorl    %ebx, %ebx
e820:   movl    $0xE820, %eax
        movl    $20, %ecx
        movl    $SMAP, %edx
        int     $0x15
        jc      e820_done
        movb    $20, -4(%di)            /* entry size (the other bytes are 0) */
        cmpl    $0x100000, (%di)        /* the RAM at 1 MiB: mem_upper */
        jne     2f
        movl    8(%di), %eax
        shrl    $10, %eax
        movl    %eax, MBI_MEM_UPPER
2:      addw    $24, %di
        testl   %ebx, %ebx
        jnz     e820
e820_done:
        subw    $(MMAP + 4), %di
        movw    %di, MBI_MMAP_LENGTH

        /* The payload must end in the RAM at 1 MiB. */
        movw    $msg_ram, %si
        movl    MBI_MEM_UPPER, %eax
        shll    $10, %eax
        addl    $0x100000, %eax
        movl    H_LOAD, %edi            /* where the next byte goes */
        movl    %edi, %ecx
        addl    H_BYTES, %ecx
        cmpl    %eax, %ecx
        ja      fail

        /* The payload, chunk by chunk, through the bounce buffer. */
        movl    H_PAYLOAD_LBA, %eax
        movl    %eax, dap_lba
        movw    $BOUNCE_SEG, dap_segment
        movl    H_SECTORS, %edx         /* sectors still to read */
load:   movzwl  %dx, %ecx
        cmpl    $CHUNK, %edx
        jb      3f
        movw    $CHUNK, %cx
3:      jecxz   loaded
        movw    %cx, dap_count
        pushl   %edx
        call    read_dap
        /* Unreal mode: DS and ES with 4 GiB limits, bases back at 0.
         * Entered for every chunk, interrupts off until the copy is done:
         * BIOS code may reset the hidden limits. */
        call    protected_mode
        movw    $0x10, %bx
        movw    %bx, %ds
        movw    %bx, %es
        andb    $0xFE, %al
        movl    %eax, %cr0
        xorw    %bx, %bx
        movw    %bx, %ds
        movw    %bx, %es
        movzwl  dap_count, %ecx
        addl    %ecx, dap_lba
        popl    %edx
        subl    %ecx, %edx
        shll    $7, %ecx                /* dwords */
        movl    $BOUNCE, %esi
        rep movsl (%esi), %es:(%edi)    /* 32-bit addresses: the 0x67 prefix */
        sti
        jmp     load

loaded:
        call    protected_mode
        ljmpl   $0x08, $protected

/* Interrupts off, our GDT, CR0.PE on (eax: the new CR0). */
protected_mode:
        cli
        lgdtl   gdt_pointer
        movl    %cr0, %eax
        orb     $1, %al
        movl    %eax, %cr0
        ret

/* INT 13h extended read of the packet `dap` (the drive: dap_drive). */
read_dap:
        movw    $dap, %si
        movb    dap_drive, %dl
        movb    $0x42, %ah
        int     $0x13
        movw    $msg_disk, %si
        jc      fail
        ret

/* Print "ukboot: " and the message at si on COM1, then stop. Interrupts
 * stay off: SeaBIOS's serial console writes COM1 from its timer interrupt
 * and would split the line. */
fail:   cli
        pushw   %si
        movw    $msg_prefix, %si
        call    print
        popw    %si
        call    print
halt:   hlt
        jmp     halt

print:  movw    $COM1_LSR, %dx
4:      inb     %dx, %al
        testb   $0x20, %al
        jz      4b
        lodsb
        testb   %al, %al
        jz      5f
        subw    $5, %dx
        outb    %al, %dx
        jmp     print
5:      ret

        .code32
protected:
        movw    $0x10, %ax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        movl    $0x2BADB002, %eax
        movl    $MBI, %ebx
        jmp     *H_ENTRY

/* The GDT; its unused null descriptor holds the pointer to it. */
        .p2align 3
gdt:
        .word   0
gdt_pointer:
        .word   gdt_end - gdt - 1
        .long   gdt
        .quad   0x00CF9A000000FFFF      /* 0x08: 32-bit code, 4 GiB */
        .quad   0x00CF92000000FFFF      /* 0x10: data, 4 GiB */
gdt_end:

dap:    .byte   16, 0                   /* INT 13h disk address packet */
dap_count:
        .word   1
        .word   0                       /* buffer offset */
dap_segment:
        .word   HEADER >> 4
dap_lba:
        .long   1, 0
dap_drive:
        .byte   0

loader_name:
        .asciz  "ukboot"
msg_prefix:
        .asciz  "ukboot: "
msg_header:
        .asciz  "bad header\n"
msg_disk:
        .asciz  "read error\n"
msg_ram:
        .asciz  "too big\n"

        .org    510
        .byte   0x55, 0xAA
