// Package cputime reads the process's CPU time, for benchmarks that report
// a CPU rate beside the wall-clock one (on a shared machine the CPU time
// is the steadier of the two).
package cputime
