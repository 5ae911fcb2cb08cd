/*
 * SYSCALL entry for ring-0 callers (see syscall_init() in cpu.c).
 *
 * On entry: rax = number, rdi rsi rdx r10 r8 r9 = arguments, rcx = return
 * address, r11 = caller's RFLAGS; interrupts are off (FMASK). We are still
 * on the caller's stack, whose 128-byte red zone below rsp may hold live
 * data, so step over it first. Every register but rax (the result), rcx
 * and r11 is preserved, SSE/x87 state included: the stdout handlers a
 * write() reaches are ordinary C++.
 *
 * Return without SYSRET: SYSCALL_RETURN (<x86/syscall_return.h>).
 */
#include <x86/syscall_return.h>

        .section .text.syscall, "ax"
        .code64
        .globl syscall_entry
        .type syscall_entry, @function
syscall_entry:
        leaq    -128(%rsp), %rsp
        pushq   %rcx                    /* return address */
        pushq   %rbp
        movq    %rsp, %rbp              /* with it a frame record: backtraces go on into the caller */
        pushq   %r11                    /* caller's RFLAGS */
        pushq   %rbx
        pushq   %rdi
        pushq   %rsi
        pushq   %rdx
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        /* struct syscall_frame { nr, a0..a5 }, lowest address first */
        pushq   %r9
        pushq   %r8
        pushq   %r10
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %rax
        movq    %rsp, %rbx              /* the frame; rbx survives the call */
        andq    $-16, %rsp
        subq    $512, %rsp
        fxsave  (%rsp)
        movq    %rbx, %rdi
        call    syscall_dispatch
        fxrstor (%rsp)
        leaq    56(%rbx), %rsp          /* drop the syscall_frame */
        SYSCALL_RETURN
        .size syscall_entry, . - syscall_entry
