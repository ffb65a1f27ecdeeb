package cli

import "strings"

func splitID(id string) []string { return strings.Split(strings.Trim(id, "/"), "/") }

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// segmentAfter returns the segment of an ARM id that follows key, such as
// the fleet name after "fleets".
func segmentAfter(id, key string) string {
	parts := splitID(id)
	for i := 0; i+1 < len(parts); i++ {
		if equalFold(parts[i], key) {
			return parts[i+1]
		}
	}
	return ""
}
