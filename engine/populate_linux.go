//go:build linux

package engine

import (
	"syscall"
	"unsafe"
)

// madvPopulateWrite is Linux's MADV_POPULATE_WRITE (5.14 and later).
const madvPopulateWrite = 23

// populate faults in the pages of the n bytes at p, writable, in one
// system call, before they are written: a table that ContextIDs.grow is
// about to fill with slots spread all over it would otherwise take one
// page fault per 4 KiB page as it is written, and on a virtual machine
// each fault costs microseconds (the 29.9M-event replay took 107k of its
// 149k faults in grow). The pages' contents do not change (fresh memory
// reads as zeros either way). On older kernels the call fails and the
// pages fault in as they are written, as before.
func populate(p unsafe.Pointer, n uintptr) {
	const page = 4096
	lo := (uintptr(p) + page - 1) &^ (page - 1)
	hi := (uintptr(p) + n) &^ (page - 1)
	if hi <= lo {
		return
	}
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, lo-uintptr(p))), hi-lo), madvPopulateWrite)
}
