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
	// CalibrationEngineUS is calibrateEngine's figure: microseconds per
	// member transition of the engine alone on a fixed run.
	CalibrationEngineUS float64 `json:"calibration_engine_us_per_transition"`
	// CalibrationProviderUS is calibrateProvider's figure: microseconds
	// of CPU per upgrade of the AKS provider and the simulated cloud
	// alone.
	CalibrationProviderUS float64 `json:"calibration_provider_us_per_upgrade"`
	// LoadBefore and LoadAfter are the system's load average over the
	// last minute just before and just after the measured part (-1 where
	// the system does not tell): how busy the machine was.
	LoadBefore float64 `json:"load_avg_1m_before"`
	LoadAfter  float64 `json:"load_avg_1m_after"`
}

// calibration is what calibrate, calibrateEngine and calibrateProvider
// measured.
type calibration struct {
	sha256, engine, provider float64
}

func thisMachine(c calibration, loadBefore, loadAfter float64) machine {
	return machine{
		Cores:                 runtime.NumCPU(),
		GoVersion:             runtime.Version(),
		Date:                  time.Now().UTC().Format(time.RFC3339),
		CalibrationSHA4KB:     c.sha256,
		CalibrationEngineUS:   c.engine,
		CalibrationProviderUS: c.provider,
		LoadBefore:            loadBefore,
		LoadAfter:             loadAfter,
	}
}
