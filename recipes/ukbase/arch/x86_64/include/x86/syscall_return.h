/*
 * The way back from a system call, shared by syscall_entry.S (every call)
 * and thread_switch.S (a new thread's first return from clone()).
 *
 * rsp points at the registers syscall_entry saved (struct syscall_saved,
 * lowest address first: r15 r14 r13 r12 r10 r9 r8 rdx rsi rdi rbx, the
 * caller's RFLAGS, rbp, the return address); rax holds the result.
 * Restore them, restore RFLAGS with popfq, undo the 128-byte red-zone step
 * and jump back: no SYSRET, the caller runs in ring 0.
 */
#ifndef X86_SYSCALL_RETURN_H
#define X86_SYSCALL_RETURN_H

#ifdef __ASSEMBLER__
.macro  SYSCALL_RETURN
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rdx
        popq    %rsi
        popq    %rdi
        popq    %rbx
        popq    %r11
        popq    %rbp
        popq    %rcx
        /* popfq may turn interrupts back on: from here on nothing below
         * rsp may be relied upon, which is fine for the last two steps. */
        pushq   %r11
        popfq
        leaq    128(%rsp), %rsp
        jmpq    *%rcx
.endm
#endif

#endif
