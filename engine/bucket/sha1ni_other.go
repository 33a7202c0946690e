//go:build !amd64 || purego

package bucket

// Without the amd64 assembly every hash goes through crypto/sha1.
const haveSHANI = false

func sha1First64(*[64]byte) uint64 { panic("bucket: no SHA-NI path") }
