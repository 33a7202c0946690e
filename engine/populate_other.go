//go:build !linux

package engine

import "unsafe"

// populate does nothing here: pages fault in as they are written
// (populate_linux.go prefaults them in one call).
func populate(unsafe.Pointer, uintptr) {}
