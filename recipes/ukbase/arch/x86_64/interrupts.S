/*
 * Interrupt entry stubs. One 16-byte stub per vector (idt.c computes the
 * address as interrupt_stubs + 16 * vector): it pushes a dummy error code
 * when the CPU does not push one, then the vector number, and joins
 * interrupt_common, which saves every register and the SSE/x87 state and
 * calls interrupt_dispatch(frame) (rbp is restored with the rest).
 *
 * All vectors run on IST stacks (the interrupted code may be service code
 * using the red zone below its stack pointer), so the frame layout is
 * struct interrupt_frame in x86/interrupts.h.
 */
        .section .text.interrupts, "ax"
        .code64

        .align 16
        .globl interrupt_stubs
interrupt_stubs:
        .set vec, 0
        .rept 256
        .align 16
        /* Exceptions with a CPU-pushed error code: 8 10-14 17 21 29 30 */
        .if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
        .else
        pushq   $0
        .endif
        pushq   $vec
        jmp     interrupt_common
        .set vec, vec + 1
        .endr

        .align 16
interrupt_common:
        pushq   %rax
        pushq   %rbx
        pushq   %rcx
        pushq   %rdx
        pushq   %rsi
        pushq   %rdi
        pushq   %rbp
        pushq   %r8
        pushq   %r9
        pushq   %r10
        pushq   %r11
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        movq    %rsp, %rbx              /* the frame; rbx survives the call */
        /* A frame record of the interrupted code (its rbp, then its rip
         * where a return address would be) as the dispatcher's caller:
         * backtraces go on into it. kernel/symbols.c knows the rip is
         * where the CPU stopped (the return address is interrupt_resume). */
        pushq   136(%rbx)               /* rip */
        pushq   64(%rbx)                /* rbp */
        movq    %rsp, %rbp
        andq    $-16, %rsp
        subq    $512, %rsp
        fxsave  (%rsp)
        cld
        movq    %rbx, %rdi
        call    interrupt_dispatch
        .globl  interrupt_resume
interrupt_resume:
        fxrstor (%rsp)
        movq    %rbx, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %r11
        popq    %r10
        popq    %r9
        popq    %r8
        popq    %rbp
        popq    %rdi
        popq    %rsi
        popq    %rdx
        popq    %rcx
        popq    %rbx
        popq    %rax
        addq    $16, %rsp               /* vector, error code */
        iretq
