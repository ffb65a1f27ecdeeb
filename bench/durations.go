package bench

import (
	"hash/fnv"
	"strconv"
	"time"
)

// opsPerUpgrade is how many cloud operations a member's upgrade is made
// of, each timed by the cluster's sim-upgrade-seconds tag: every benchmark
// cluster has one node pool, and a Full upgrade with the region's newest
// node images is one managed-cluster update that moves the control plane,
// then the pool (the simulated cloud shares the tag's time between the
// two).
const opsPerUpgrade = 1

// upgradeTiming is how long a member's cluster takes to upgrade: the
// sim-upgrade-seconds tag the simulated cloud times each of its
// operations by, and the whole upgrade that adds up to.
type upgradeTiming struct {
	tag   string
	total time.Duration
}

// timing spreads the plan's latency over the clusters: member m of fleet f
// takes latency × (1 ± jitter), the same every time for the same member.
func (p plan) timing(f, m int) upgradeTiming {
	d := p.latency
	if p.jitter > 0 && d > 0 {
		d = time.Duration(float64(d) * (1 + p.jitter*(2*unit(f, m)-1)))
	}
	// Whole milliseconds: the precision of the retry-after-ms hint with
	// which the cloud tells pollers when an operation ends.
	perOp := (d / opsPerUpgrade).Round(time.Millisecond)
	tag := strconv.FormatFloat(perOp.Seconds(), 'f', 3, 64)
	// The cloud reads the tag back as seconds: time it as it will.
	secs, _ := strconv.ParseFloat(tag, 64)
	return upgradeTiming{tag: tag, total: opsPerUpgrade * time.Duration(secs*float64(time.Second))}
}

// unit maps (f, m) to a number in [0, 1), evenly spread.
func unit(f, m int) float64 {
	h := fnv.New64a()
	var b [16]byte
	for i := range 8 {
		b[i] = byte(uint64(f) >> (8 * i))
		b[8+i] = byte(uint64(m) >> (8 * i))
	}
	h.Write(b[:])
	return float64(h.Sum64()>>11) / float64(1<<53)
}
