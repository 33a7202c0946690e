//go:build !amd64 || purego

package bucket

// Without the amd64 assembly every hash goes through crypto/sha1.
const haveSHANI = false

func sha1First64(*[64]byte) uint64 { panic("bucket: no SHA-NI path") }

func sha1Words(w0, w1, w2, w3, w4, w5, w6, w7 uint64) uint64 {
	panic("bucket: no SHA-NI path")
}
