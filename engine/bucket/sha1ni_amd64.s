//go:build amd64 && !purego

#include "textflag.h"

// sha1Words: SHA-1 (FIPS 180-4) of one already padded 64-byte block with
// the x86 SHA extensions, returning only the first 64 bits of the digest
// (H0<<32 | H1), all that LaunchDarkly's bucketing reads. There is no
// digest state to set up, copy or finish, which is most of what
// crypto/sha1.Sum costs for a bucketing input of ~20 bytes.
//
// X0 holds ABCD (A in the top dword), X1 and X2 alternate as E (E in the
// top dword, plus the next four message words), X3..X6 hold the message
// schedule: W[j], the words of rounds 4j..4j+3, is in X(3 + j mod 4);
// W[0..3] are the block's big-endian words, later ones W[j] = SHA1MSG2(SHA1MSG1(W[j-4], W[j-3]) XOR W[j-2],
// W[j-1]). Rounds 4j..4j+3 are one SHA1RNDS4 with function j/5; its E is
// H4 + W[0] for j = 0, else SHA1NEXTE of the ABCD before the previous
// group and W[j] (Intel, "Intel SHA Extensions", 2013, for the
// instructions' semantics). The final ABCD plus H0..H3 gives H0 and H1;
// E is not needed. The 20 groups are written out below.
//
// Constants: H3..H0 as ABCD's dwords, H4 in E's top dword.

DATA initabcd<>+0(SB)/4, $0x10325476
DATA initabcd<>+4(SB)/4, $0x98badcfe
DATA initabcd<>+8(SB)/4, $0xefcdab89
DATA initabcd<>+12(SB)/4, $0x67452301
GLOBL initabcd<>(SB), RODATA|NOPTR, $16

DATA inite<>+0(SB)/4, $0
DATA inite<>+4(SB)/4, $0
DATA inite<>+8(SB)/4, $0
DATA inite<>+12(SB)/4, $0xc3d2e1f0
GLOBL inite<>(SB), RODATA|NOPTR, $16

// func sha1Words(w0, w1, w2, w3, w4, w5, w6, w7 uint64) uint64
// The block as eight big-endian 64-bit words: W[j] is w(2j+1) in the low
// and w(2j) in the high quadword, no byte shuffle. The words arrive as
// 8-byte stack slots and are loaded 8 bytes at a time, so the loads take
// the caller's stores from the store buffer.
TEXT ·sha1Words(SB), NOSPLIT, $0-72
	MOVQ w1+8(FP), X3
	PINSRQ $1, w0+0(FP), X3
	MOVQ w3+24(FP), X4
	PINSRQ $1, w2+16(FP), X4
	MOVQ w5+40(FP), X5
	PINSRQ $1, w4+32(FP), X5
	MOVQ w7+56(FP), X6
	PINSRQ $1, w6+48(FP), X6
	MOVOU initabcd<>(SB), X0
	// rounds 0-3
	MOVOU inite<>(SB), X1
	PADDD X3, X1
	MOVO X0, X2
	SHA1RNDS4 $0, X1, X0
	// rounds 4-7
	SHA1NEXTE X4, X2
	MOVO X0, X1
	SHA1RNDS4 $0, X2, X0
	// rounds 8-11
	SHA1NEXTE X5, X1
	MOVO X0, X2
	SHA1RNDS4 $0, X1, X0
	// rounds 12-15
	SHA1NEXTE X6, X2
	MOVO X0, X1
	SHA1RNDS4 $0, X2, X0
	// rounds 16-19
	SHA1MSG1 X4, X3
	PXOR X5, X3
	SHA1MSG2 X6, X3
	SHA1NEXTE X3, X1
	MOVO X0, X2
	SHA1RNDS4 $0, X1, X0
	// rounds 20-23
	SHA1MSG1 X5, X4
	PXOR X6, X4
	SHA1MSG2 X3, X4
	SHA1NEXTE X4, X2
	MOVO X0, X1
	SHA1RNDS4 $1, X2, X0
	// rounds 24-27
	SHA1MSG1 X6, X5
	PXOR X3, X5
	SHA1MSG2 X4, X5
	SHA1NEXTE X5, X1
	MOVO X0, X2
	SHA1RNDS4 $1, X1, X0
	// rounds 28-31
	SHA1MSG1 X3, X6
	PXOR X4, X6
	SHA1MSG2 X5, X6
	SHA1NEXTE X6, X2
	MOVO X0, X1
	SHA1RNDS4 $1, X2, X0
	// rounds 32-35
	SHA1MSG1 X4, X3
	PXOR X5, X3
	SHA1MSG2 X6, X3
	SHA1NEXTE X3, X1
	MOVO X0, X2
	SHA1RNDS4 $1, X1, X0
	// rounds 36-39
	SHA1MSG1 X5, X4
	PXOR X6, X4
	SHA1MSG2 X3, X4
	SHA1NEXTE X4, X2
	MOVO X0, X1
	SHA1RNDS4 $1, X2, X0
	// rounds 40-43
	SHA1MSG1 X6, X5
	PXOR X3, X5
	SHA1MSG2 X4, X5
	SHA1NEXTE X5, X1
	MOVO X0, X2
	SHA1RNDS4 $2, X1, X0
	// rounds 44-47
	SHA1MSG1 X3, X6
	PXOR X4, X6
	SHA1MSG2 X5, X6
	SHA1NEXTE X6, X2
	MOVO X0, X1
	SHA1RNDS4 $2, X2, X0
	// rounds 48-51
	SHA1MSG1 X4, X3
	PXOR X5, X3
	SHA1MSG2 X6, X3
	SHA1NEXTE X3, X1
	MOVO X0, X2
	SHA1RNDS4 $2, X1, X0
	// rounds 52-55
	SHA1MSG1 X5, X4
	PXOR X6, X4
	SHA1MSG2 X3, X4
	SHA1NEXTE X4, X2
	MOVO X0, X1
	SHA1RNDS4 $2, X2, X0
	// rounds 56-59
	SHA1MSG1 X6, X5
	PXOR X3, X5
	SHA1MSG2 X4, X5
	SHA1NEXTE X5, X1
	MOVO X0, X2
	SHA1RNDS4 $2, X1, X0
	// rounds 60-63
	SHA1MSG1 X3, X6
	PXOR X4, X6
	SHA1MSG2 X5, X6
	SHA1NEXTE X6, X2
	MOVO X0, X1
	SHA1RNDS4 $3, X2, X0
	// rounds 64-67
	SHA1MSG1 X4, X3
	PXOR X5, X3
	SHA1MSG2 X6, X3
	SHA1NEXTE X3, X1
	MOVO X0, X2
	SHA1RNDS4 $3, X1, X0
	// rounds 68-71
	SHA1MSG1 X5, X4
	PXOR X6, X4
	SHA1MSG2 X3, X4
	SHA1NEXTE X4, X2
	MOVO X0, X1
	SHA1RNDS4 $3, X2, X0
	// rounds 72-75
	SHA1MSG1 X6, X5
	PXOR X3, X5
	SHA1MSG2 X4, X5
	SHA1NEXTE X5, X1
	MOVO X0, X2
	SHA1RNDS4 $3, X1, X0
	// rounds 76-79
	SHA1MSG1 X3, X6
	PXOR X4, X6
	SHA1MSG2 X5, X6
	SHA1NEXTE X6, X2
	SHA1RNDS4 $3, X2, X0
	MOVOU initabcd<>(SB), X3
	PADDD X3, X0
	PEXTRQ $1, X0, BX
	MOVQ BX, ret+64(FP)
	RET

// func cpuid(leaf, sub uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET
