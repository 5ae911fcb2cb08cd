/* Legacy 8259 PIC pair: remapped out of the exception range and masked. */
#pragma once
void pic_disable(void);
