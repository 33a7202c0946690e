package main

import (
	"fmt"
	"runtime/debug"
)

// versionString is the module version and the VCS revision from the
// binary's build information (runtime/debug.ReadBuildInfo).
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "guardsim (no build information)"
	}
	return formatVersion(bi)
}

func formatVersion(bi *debug.BuildInfo) string {
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	s := map[string]string{}
	for _, kv := range bi.Settings {
		s[kv.Key] = kv.Value
	}
	out := fmt.Sprintf("guardsim %s", version)
	if rev := s["vcs.revision"]; rev != "" {
		out += " revision " + rev
		if s["vcs.modified"] == "true" {
			out += " (modified)"
		}
		if t := s["vcs.time"]; t != "" {
			out += " " + t
		}
	}
	return out + ", " + bi.GoVersion
}
