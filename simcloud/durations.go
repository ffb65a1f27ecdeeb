package simcloud

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Tags on a managed cluster that steer the simulation of that cluster.
const (
	// TagUpgradeSeconds ("0.3", "0", "90") makes every long operation on
	// the cluster take exactly that many seconds, whatever Options.Speed.
	TagUpgradeSeconds = "sim-upgrade-seconds"
	// TagFailUpgrade ("true") makes the cluster's upgrades run their time
	// and then fail, changing no version.
	TagFailUpgrade = "sim-fail-upgrade"
)

// Realistic durations, before division by Options.Speed.
const (
	// createDuration is how long creating or deleting a cluster or pool
	// takes: far quicker than AKS, so seeding and cleaning up a rehearsal
	// do not dominate it.
	createDuration = time.Second
	// A control plane upgrade takes controlPlaneBase plus up to
	// controlPlaneJitter.
	controlPlaneBase   = 4 * time.Minute
	controlPlaneJitter = 2 * time.Minute
	// A pool's version or image upgrade takes, per node, nodeBase plus up
	// to nodeJitter.
	nodeBase   = time.Minute
	nodeJitter = time.Minute
)

// tagValue looks a tag up by name, ignoring case as ARM does.
func tagValue(tags map[string]string, name string) (string, bool) {
	if v, ok := tags[name]; ok {
		return v, true
	}
	for k, v := range tags {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// upgradeSecondsTag returns the sim-upgrade-seconds duration, if the tag
// is set and valid.
func upgradeSecondsTag(tags map[string]string) (time.Duration, bool) {
	v, ok := tagValue(tags, TagUpgradeSeconds)
	if !ok {
		return 0, false
	}
	d, err := parseUpgradeSeconds(v)
	return d, err == nil
}

func parseUpgradeSeconds(v string) (time.Duration, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) || f > 365*24*3600 {
		return 0, strconv.ErrSyntax
	}
	return time.Duration(f * float64(time.Second)), nil
}

func failUpgradeTag(tags map[string]string) bool {
	v, ok := tagValue(tags, TagFailUpgrade)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	return err == nil && b
}

// checkSimTags rejects simulator tags whose values do not parse.
func checkSimTags(tags map[string]string) *armError {
	if v, ok := tagValue(tags, TagUpgradeSeconds); ok {
		if _, err := parseUpgradeSeconds(v); err != nil {
			return invalidParameter("tags."+TagUpgradeSeconds, "The tag %s=%q is not a number of seconds; use a non-negative number such as 0, 0.3 or 90.", TagUpgradeSeconds, v)
		}
	}
	if v, ok := tagValue(tags, TagFailUpgrade); ok {
		if _, err := strconv.ParseBool(strings.TrimSpace(v)); err != nil {
			return invalidParameter("tags."+TagFailUpgrade, "The tag %s=%q is not true or false.", TagFailUpgrade, v)
		}
	}
	return nil
}

// partDurations times an operation's parts. With the sim-upgrade-seconds
// tag the whole operation takes exactly that long, shared evenly by its
// parts; otherwise each part takes a realistic time (with jitter drawn
// from the seed) divided by Options.Speed. Updates take no time.
func (cl *Cloud) partDurations(c *cluster, parts []*part, seq uint64) []time.Duration {
	out := make([]time.Duration, len(parts))
	timed := 0
	for _, p := range parts {
		if !isInstant(p.kind) {
			timed++
		}
	}
	if timed == 0 {
		return out
	}
	if total, ok := upgradeSecondsTag(c.tags); ok {
		share := total / time.Duration(timed)
		left := total
		for i, p := range parts {
			if isInstant(p.kind) {
				continue
			}
			timed--
			if timed == 0 {
				out[i] = left
				break
			}
			out[i] = share
			left -= share
		}
		return out
	}
	for i, p := range parts {
		jitter := unit(cl.opts.Seed, seq, uint64(i))
		var d time.Duration
		switch p.kind {
		case KindUpgradeControlPlane:
			d = controlPlaneBase + time.Duration(jitter*float64(controlPlaneJitter))
		case KindUpgradeAgentPool, KindUpgradeNodeImage:
			nodes := int32(1)
			if pl := c.poolByName(p.pool); pl != nil && pl.count > 1 {
				nodes = pl.count
			}
			d = time.Duration(nodes) * (nodeBase + time.Duration(jitter*float64(nodeJitter)))
		case KindCreateCluster, KindCreateAgentPool, KindDeleteCluster, KindDeleteAgentPool:
			d = createDuration
		}
		out[i] = time.Duration(float64(d) / cl.speed)
	}
	return out
}

func isInstant(k OperationKind) bool {
	return k == KindUpdateCluster || k == KindUpdateAgentPool
}
