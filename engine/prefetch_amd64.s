//go:build amd64 && !purego

#include "textflag.h"

// func prefetch(addrs []uintptr)
// PREFETCHT0 of each address: the line is requested into all cache levels
// and the instruction retires at once (it never faults, whatever the
// address), so the misses overlap with the work that follows.
TEXT ·prefetch(SB), NOSPLIT, $0-24
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
	RET
