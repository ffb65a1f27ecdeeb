//go:build !unix

package bench

import "time"

// cpuTime is not measured here: it reads as zero.
func cpuTime() time.Duration { return 0 }

// maxRSS is not measured here: it reads as zero.
func maxRSS() int64 { return 0 }
