/*
 * Context switch between threads (kernel/thread.c), always from kernel
 * code inside a system call, on the thread's own stack.
 *
 * arch_thread_switch(save_sp, next_sp) is an ordinary call: the SysV ABI
 * lets it clobber rax, rcx, rdx, rsi, rdi, r8-r11 and the SSE registers,
 * so it keeps only what a callee must: rbx, rbp, r12-r15, and also RFLAGS
 * (the interrupt flag: a thread may switch away from a halt, with
 * interrupts on) and the MXCSR and x87 control words. The rest of a
 * thread's state, the registers and SSE/x87 state of its own code, was
 * saved by syscall_entry.S further up the same stack.
 *
 * The saved context, lowest address first (what *save_sp points at):
 *   MXCSR (4 bytes) and x87 control word (2), padded to 8; RFLAGS;
 *   r15 r14 r13 r12 rbx rbp; return address.
 */
#include <x86/syscall_return.h>

        .section .text.threads, "ax"
        .code64

        .globl arch_thread_switch
        .type arch_thread_switch, @function
arch_thread_switch:
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        pushfq
        subq    $8, %rsp
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        popfq
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .size arch_thread_switch, . - arch_thread_switch

/*
 * A new thread's first run: arch_thread_context() (thread.c) left it a
 * context whose return address is this, with rbx = its copy of the
 * creator's saved registers (struct syscall_saved) and r12 = its copy of
 * the creator's SSE/x87 state, and rsp 16-byte aligned. Let the scheduler
 * finish the switch, then leave as syscall_entry.S leaves a system call,
 * with rax = 0: the child's side of clone().
 */
        .globl arch_thread_entry
        .type arch_thread_entry, @function
arch_thread_entry:
        call    thread_entered
        fxrstor (%r12)
        movq    %rbx, %rsp
        xorl    %eax, %eax
        SYSCALL_RETURN
        .size arch_thread_entry, . - arch_thread_entry
