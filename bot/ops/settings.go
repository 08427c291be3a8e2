package ops

import (
	"fmt"
	"net/url"
)

// CheckBaseURL checks a setting that names an API's base URL (a test server, a proxy):
// empty, or an http(s) URL with a host.
func CheckBaseURL(setting, value string) error {
	if value == "" {
		return nil
	}
	if u, err := url.Parse(value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q is not an http(s) URL", setting, value)
	}
	return nil
}

// Pairs is a getenv over the given name-value pairs, for reading settings that do not come
// from the process's environment (tests, a check of a settings file's values).
func Pairs(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}
