//go:build amd64 && !purego

#include "textflag.h"

// func prefetch(addrs []unsafe.Pointer) uint64
// PREFETCHT0 of each address: the line is requested into all cache levels
// and the instruction retires at once (it never faults, whatever the
// address), so the misses overlap with the work that follows. It returns 0.
TEXT ·prefetch(SB), NOSPLIT, $0-32
	MOVQ addrs_base+0(FP), SI
	MOVQ addrs_len+8(FP), CX
	TESTQ CX, CX
	JZ done
loop:
	MOVQ (SI), AX
	PREFETCHT0 (AX)
	ADDQ $8, SI
	DECQ CX
	JNZ loop
done:
	MOVQ $0, ret+24(FP)
	RET
