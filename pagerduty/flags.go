package pagerduty

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// FlagValues holds the common PagerDuty flags registered by RegisterFlags.
// There is deliberately no flag for the routing key itself: it comes from
// PAGERDUTY_ROUTING_KEY or --routing-key-file.
type FlagValues struct {
	URL            string
	Version        string
	Severity       string
	RoutingKeyFile string
}

// Flag names registered by RegisterFlags.
const (
	FlagURL            = "pagerduty-url"
	FlagVersion        = "pagerduty-version"
	FlagSeverity       = "pagerduty-severity"
	FlagRoutingKeyFile = "routing-key-file"
)

// RegisterFlags declares --pagerduty-url, --pagerduty-version,
// --pagerduty-severity and --routing-key-file on fs.
func RegisterFlags(fs *pflag.FlagSet) *FlagValues {
	v := &FlagValues{}
	fs.StringVar(&v.URL, FlagURL, DefaultBaseURL, "PagerDuty Events API base URL (the EU region is https://events.eu.pagerduty.com; a mock's URL for tests)")
	fs.StringVar(&v.Version, FlagVersion, string(V2), "PagerDuty Events API version: v2 or v1")
	fs.StringVar(&v.Severity, FlagSeverity, "critical", "severity of PagerDuty triggers: "+strings.Join(Severities, ", "))
	fs.StringVar(&v.RoutingKeyFile, FlagRoutingKeyFile, "", "file holding the PagerDuty routing (integration) key; default: $"+EnvRoutingKey)
	return v
}

// Enabled reports whether PagerDuty alerting was asked for: one of the
// flags was set on fs, or PAGERDUTY_ROUTING_KEY is set.
func (v *FlagValues) Enabled(fs *pflag.FlagSet, getenv func(string) string) bool {
	for _, n := range []string{FlagURL, FlagVersion, FlagSeverity, FlagRoutingKeyFile} {
		if fs.Changed(n) {
			return true
		}
	}
	return getenv != nil && getenv(EnvRoutingKey) != ""
}

// Config builds a client Config from the flags, loading the routing key
// with RoutingKeyFromEnvOrFile and checking it, the version and the
// severity. Callers add Source, LinkURL, Tags, Logger and the like.
func (v *FlagValues) Config(getenv func(string) string) (Config, error) {
	ver, err := ParseVersion(v.Version)
	if err != nil {
		return Config{}, err
	}
	if !ValidSeverity(v.Severity) {
		return Config{}, fmt.Errorf("%w: severity %q (want one of %s)", ErrInvalidConfig, v.Severity, strings.Join(Severities, ", "))
	}
	key, err := RoutingKeyFromEnvOrFile(getenv, v.RoutingKeyFile)
	if err != nil {
		return Config{}, err
	}
	if err := CheckRoutingKey(key, ver); err != nil {
		return Config{}, err
	}
	return Config{BaseURL: v.URL, Version: ver, Severity: v.Severity, RoutingKey: key}, nil
}
