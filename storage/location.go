package storage

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/splitdata/splitdata/splitter"
)

// Schemes of the object stores a [Location] may name. A location without a
// scheme, or with [SchemeFile], is a local path.
const (
	SchemeS3    = "s3"
	SchemeGCS   = "gs"
	SchemeAzure = "az"
	SchemeFile  = "file"
)

// Location is a parsed place to read or write: a local path or an
// object-store bucket (an Azure container) and a key or key prefix in it.
// The zero value is the empty local path. Locations are plain values,
// safe to copy and compare with [Location.String].
type Location struct {
	// Scheme is "" for a local path, else one of the Scheme constants.
	Scheme string
	// Bucket is the bucket (the Azure container); empty for local paths.
	Bucket string
	// Key is the key or prefix inside the bucket, without a leading
	// slash; for a local path, the path (file:// URLs decoded).
	Key string
	// Params are the URL's query parameters, checked against the scheme's
	// list (see [Parse]); nil when there are none.
	Params url.Values
}

// params lists the query parameters each scheme accepts: they are named
// as gocloud.dev's drivers name them (s3blob, gcsblob, azureblob), so a
// URL written for another tool using that library means the same here.
var params = map[string][]string{
	SchemeS3:    {"region", "endpoint", "use_path_style", "disable_https", "profile", "anonymous", "hostname_immutable", "dualstack", "fips"},
	SchemeGCS:   {"anonymous"},
	SchemeAzure: {"storage_account", "domain", "protocol", "localemu"},
}

// boolParams are the parameters whose value must parse as a boolean.
var boolParams = []string{"use_path_style", "disable_https", "anonymous", "hostname_immutable", "dualstack", "fips", "localemu"}

// Parse parses a local path, a file:// URL, or an object-store URL
// s3://bucket/prefix, gs://bucket/prefix or az://container/prefix, with
// the query parameters of its scheme:
//
//   - s3: region, endpoint (e.g. http://127.0.0.1:9000, for S3-compatible
//     stores), use_path_style, disable_https, profile, anonymous,
//     hostname_immutable, dualstack, fips;
//   - gs: anonymous;
//   - az: storage_account, domain, protocol (http or https), localemu.
//
// A string without "://" is a local path, whatever it holds. An unknown
// scheme or parameter, a missing bucket, user information (credentials
// never go in a URL), or a malformed value is an error wrapping
// [splitter.ErrUsage].
func Parse(s string) (Location, error) {
	scheme, _, ok := strings.Cut(s, "://")
	if !ok || strings.ContainsAny(scheme, "/\\.") {
		return Location{Key: s}, nil
	}
	scheme = strings.ToLower(scheme)
	if scheme == SchemeFile {
		u, err := url.Parse(s)
		if err != nil {
			return Location{}, fmt.Errorf("%w: %s: %v", splitter.ErrUsage, redactRaw(s), err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("%w: %s: a file URL names no host (file:///path)", splitter.ErrUsage, redactRaw(s))
		}
		if u.Path == "" || len(u.Query()) > 0 {
			return Location{}, fmt.Errorf("%w: %s: a file URL is file:///path, without parameters", splitter.ErrUsage, redactRaw(s))
		}
		return Location{Scheme: SchemeFile, Key: filepath.FromSlash(u.Path)}, nil
	}
	known, isStore := params[scheme]
	if !isStore {
		return Location{}, fmt.Errorf("%w: %s: unknown scheme %q (want s3, gs, az or file)", splitter.ErrUsage, redactRaw(s), scheme)
	}
	u, err := url.Parse(s)
	if err != nil {
		return Location{}, fmt.Errorf("%w: %s: %v", splitter.ErrUsage, redactRaw(s), err)
	}
	if u.User != nil {
		return Location{}, fmt.Errorf("%w: %s: credentials do not go in the URL; use the environment or the cloud's configuration files", splitter.ErrUsage, redactRaw(s))
	}
	if u.Host == "" {
		return Location{}, fmt.Errorf("%w: %s: no bucket", splitter.ErrUsage, redactRaw(s))
	}
	l := Location{Scheme: scheme, Bucket: u.Host, Key: strings.TrimPrefix(u.Path, "/")}
	if u.RawQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return Location{}, fmt.Errorf("%w: %s: %v", splitter.ErrUsage, l, err)
		}
		for _, k := range slices.Sorted(mapsKeys(q)) {
			if !slices.Contains(known, k) {
				return Location{}, fmt.Errorf("%w: %s: unknown parameter %q for %s:// (known: %s)", splitter.ErrUsage, l, k, scheme, strings.Join(known, ", "))
			}
			if len(q[k]) != 1 {
				return Location{}, fmt.Errorf("%w: %s: parameter %q given %d times", splitter.ErrUsage, l, k, len(q[k]))
			}
			if slices.Contains(boolParams, k) {
				if _, err := strconv.ParseBool(q.Get(k)); err != nil {
					return Location{}, fmt.Errorf("%w: %s: parameter %s=%q is not true or false", splitter.ErrUsage, l, k, q.Get(k))
				}
			}
		}
		if e := q.Get("endpoint"); e != "" {
			eu, err := url.Parse(e)
			if err != nil || (eu.Scheme != "http" && eu.Scheme != "https") || eu.Host == "" {
				return Location{}, fmt.Errorf("%w: %s: endpoint %q is not an http:// or https:// URL", splitter.ErrUsage, l, e)
			}
			if eu.User != nil {
				return Location{}, fmt.Errorf("%w: %s: credentials do not go in the endpoint URL", splitter.ErrUsage, l)
			}
		}
		if p := q.Get("protocol"); p != "" && p != "http" && p != "https" {
			return Location{}, fmt.Errorf("%w: %s: protocol %q is not http or https", splitter.ErrUsage, l, p)
		}
		l.Params = q
	}
	return l, nil
}

// mapsKeys is maps.Keys for url.Values.
func mapsKeys(q url.Values) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range q {
			if !yield(k) {
				return
			}
		}
	}
}

// redactRaw is s without anything that could be a credential: the user
// information of a URL and its query. It is used for strings Parse
// rejects, which may be malformed anywhere.
func redactRaw(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	rest, _, _ = strings.Cut(rest, "?")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if slash := strings.Index(rest, "/"); slash < 0 || at < slash {
			rest = "…@" + rest[at+1:]
		}
	}
	return scheme + "://" + rest
}

// IsLocal reports whether l is a local path (with or without file://).
func (l Location) IsLocal() bool { return l.Scheme == "" || l.Scheme == SchemeFile }

// Path is the local path l names; empty for an object-store location.
func (l Location) Path() string {
	if !l.IsLocal() {
		return ""
	}
	return l.Key
}

// String is l as a URL (a local path as given), parameters sorted. It
// holds no credentials, since [Parse] refuses them, and may go in
// messages, manifests and plans.
func (l Location) String() string {
	if l.Scheme == "" {
		return l.Key
	}
	if l.Scheme == SchemeFile {
		return (&url.URL{Scheme: SchemeFile, Path: filepath.ToSlash(l.Key)}).String()
	}
	s := l.Scheme + "://" + l.Bucket + "/" + l.Key
	if len(l.Params) > 0 {
		s += "?" + l.Params.Encode() // Encode sorts by key
	}
	return s
}

// Join is l with name, slash-separated, appended to its key (or path).
func (l Location) Join(name string) Location {
	if l.IsLocal() {
		l.Key = filepath.Join(l.Key, filepath.FromSlash(name))
		return l
	}
	l.Key = joinKey(l.Key, name)
	return l
}

// joinKey appends name to prefix with one slash between them; an empty
// prefix is the bucket's root.
func joinKey(prefix, name string) string {
	if prefix == "" {
		return strings.TrimPrefix(name, "/")
	}
	return strings.TrimSuffix(prefix, "/") + "/" + strings.TrimPrefix(name, "/")
}

// dirPrefix is key as a directory-like prefix: "" (the bucket root) or a
// key ending in one slash.
func dirPrefix(key string) string {
	key = strings.TrimSuffix(key, "/")
	if key == "" {
		return ""
	}
	return key + "/"
}

// hasMeta reports whether a key holds glob metacharacters ([path.Match]).
func hasMeta(key string) bool { return strings.ContainsAny(key, `*?[\`) }

// validPattern reports a malformed glob before any listing.
func validPattern(pattern string) error {
	_, err := path.Match(pattern, "")
	return err
}
