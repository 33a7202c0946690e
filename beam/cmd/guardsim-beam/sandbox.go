package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
)

// sandboxEnv marks a process re-executed inside the loopback-only network
// namespace.
const sandboxEnv = "GUARDSIM_BEAM_SANDBOX"

// loopbackOnly reports whether every network interface that is up is a
// loopback one (as inside `unshare -rn`), so a server listening on every
// interface is reachable from this machine only.
func loopbackOnly() (bool, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return false, fmt.Errorf("list network interfaces: %w", err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp != 0 && i.Flags&net.FlagLoopback == 0 {
			return false, nil
		}
	}
	return true, nil
}

// reexecSandboxed runs this command again inside a new user and network
// namespace with only loopback up (`unshare -rn`), and returns its status.
func reexecSandboxed(stderr io.Writer) int {
	if os.Getenv(sandboxEnv) != "" {
		fmt.Fprintln(stderr, "guardsim-beam: still not loopback-only inside the sandbox; refusing to start prism")
		return 1
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "guardsim-beam: %v\n", err)
		return 1
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		fmt.Fprintln(stderr, "guardsim-beam: prism's job server listens on every interface, and `unshare` (util-linux) is not available to run it in a loopback-only network namespace.\n"+
			"Run inside one yourself (unshare -rn, a container without network), or pass --prism-any-interface to accept the exposure.")
		return 1
	}
	args := append([]string{"-rn", "sh", "-c", `ip link set lo up 2>/dev/null || true; exec "$@"`, "sh", self}, os.Args[1:]...)
	cmd := exec.Command(unshare, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), sandboxEnv+"=1")
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintf(stderr, "guardsim-beam: run in a loopback-only namespace (unshare -rn): %v\nPass --prism-any-interface to run without it.\n", err)
		return 1
	}
	return 0
}
