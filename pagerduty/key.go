package pagerduty

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// RoutingKeyFromEnvOrFile returns the routing key: the trimmed content of
// the file at path when path is not empty, otherwise the trimmed value of
// PAGERDUTY_ROUTING_KEY read through getenv. It returns ErrNoRoutingKey when
// neither yields a key. Errors never contain the key.
func RoutingKeyFromEnvOrFile(getenv func(string) string, path string) (string, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("pagerduty: reading routing key file: %w", err)
		}
		key := strings.TrimSpace(string(b))
		if key == "" {
			return "", fmt.Errorf("%w: routing key file %s is empty", ErrNoRoutingKey, path)
		}
		return key, nil
	}
	if getenv != nil {
		if key := strings.TrimSpace(getenv(EnvRoutingKey)); key != "" {
			return key, nil
		}
	}
	return "", ErrNoRoutingKey
}

// CheckRoutingKey checks the shape of a routing key for version v: v2 keys
// are exactly 32 characters; keys of either version are non-empty and have
// no whitespace or control characters. The error never contains the key.
func CheckRoutingKey(key string, v Version) error {
	if key == "" {
		return ErrNoRoutingKey
	}
	if strings.IndexFunc(key, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Errorf("%w: it contains whitespace or control characters", ErrInvalidRoutingKey)
	}
	if v != V1 && len(key) != RoutingKeyLen {
		return fmt.Errorf("%w: it has %d characters, Events API v2 wants %d", ErrInvalidRoutingKey, len(key), RoutingKeyLen)
	}
	return nil
}

// Fingerprint identifies a routing key without revealing it: "sha256:"
// followed by the first 8 hex digits of its SHA-256. The empty key's
// fingerprint is "".
func Fingerprint(key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:4])
}

// redact replaces every occurrence of key in s by its fingerprint.
func redact(s, key string) string {
	if key == "" || !strings.Contains(s, key) {
		return s
	}
	return strings.ReplaceAll(s, key, Fingerprint(key))
}

// redactedError hides the routing key in an underlying error's message.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr returns err, or a wrapper whose message has key replaced by its
// fingerprint when err's message contains key.
func redactErr(err error, key string) error {
	if err == nil || key == "" {
		return err
	}
	if msg := err.Error(); strings.Contains(msg, key) {
		return &redactedError{msg: redact(msg, key), err: err}
	}
	return err
}
