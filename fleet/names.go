package fleet

import "regexp"

var namePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Name length limits, as Azure sets them.
const (
	MaxFleetNameLength = 63
	MaxNameLength      = 50
)

// ValidateName checks a resource, stage or group name: lower-case letters,
// digits and inner dashes, at most max characters. field is the path used
// in the error.
func ValidateName(field, name string, max int) error {
	switch {
	case name == "":
		return Invalid(field, "a name is required")
	case len(name) > max:
		return Invalid(field, "%q is %d characters long; the limit is %d", name, len(name), max)
	case !namePattern.MatchString(name):
		return Invalid(field, "%q is not a valid name: use lower-case letters, digits and dashes, starting and ending with a letter or digit", name)
	}
	return nil
}
