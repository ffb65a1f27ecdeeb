package server

import (
	"net/url"
	"regexp"
	"strings"
)

// dsnSecrets returns the secrets a PostgreSQL connection string holds:
// its password (raw and decoded) and the values of password-like query
// parameters, so they can be cut out of any message that might echo them.
func dsnSecrets(dsn string) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
			if d, err := url.PathUnescape(s); err == nil && d != s {
				out = append(out, d)
			}
			if d, err := url.QueryUnescape(s); err == nil && d != s {
				out = append(out, d)
			}
		}
	}
	// The userinfo is read by hand too: a connection string url.Parse
	// refuses can still hold a password.
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := dsn[i+3:]
		if j := strings.LastIndex(rest, "@"); j >= 0 {
			if k := strings.Index(rest[:j], ":"); k >= 0 {
				add(rest[k+1 : j])
			}
		}
	}
	for _, m := range passwordParam.FindAllStringSubmatch(dsn, -1) {
		add(m[1])
	}
	return out
}

// passwordParam matches password=, sslpassword= and the like, in a query
// string or a key=value connection string.
var passwordParam = regexp.MustCompile(`(?i)(?:^|[?&\s])\w*password=([^&\s]*)`)

// secretFreeError carries an error whose message had secrets cut out;
// errors.Is and errors.As still see the original.
type secretFreeError struct {
	msg string
	err error
}

func (e *secretFreeError) Error() string { return e.msg }
func (e *secretFreeError) Unwrap() error { return e.err }

// withoutSecrets returns err with every secret replaced by ****.
func withoutSecrets(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "****")
	}
	if msg == err.Error() {
		return err
	}
	return &secretFreeError{msg: msg, err: err}
}

// redact hides the password of a connection string.
func redact(dsn string) string {
	return withoutSecrets(errString(dsn), dsnSecrets(dsn)).Error()
}

type errString string

func (e errString) Error() string { return string(e) }
