package bench

import (
	"crypto/sha256"
	"runtime"
	"time"
)

// calibrate measures, in this process and at this moment, how long a
// fixed piece of CPU work takes: nanoseconds per SHA-256 of a 4 KiB
// buffer, the best of several tries. Results from two machines, or from
// one machine under different loads, compare once divided by it.
func calibrate() float64 {
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(i)
	}
	const ops = 2000
	best := time.Duration(1 << 62)
	for range 5 {
		start := time.Now()
		for range ops {
			sum := sha256.Sum256(buf)
			buf[0] = sum[0]
		}
		best = min(best, time.Since(start))
	}
	return round(float64(best.Nanoseconds())/ops, 1)
}

// machine is what a result says of where it was measured.
type machine struct {
	Cores             int     `json:"cores"`
	GoVersion         string  `json:"go_version"`
	Date              string  `json:"date"`
	CalibrationSHA4KB float64 `json:"calibration_sha256_4k_ns"`
}

func thisMachine(calibration float64) machine {
	return machine{
		Cores:             runtime.NumCPU(),
		GoVersion:         runtime.Version(),
		Date:              time.Now().UTC().Format(time.RFC3339),
		CalibrationSHA4KB: calibration,
	}
}
