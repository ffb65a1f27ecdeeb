package bench

import (
	"math"
	"time"

	"github.com/caravan-dev/caravan/fleet"
)

// criticalPath is the shortest time a run can take: its stages one after
// another with their waits, each stage upgrading its members as the
// engine's rules allow (each group's members in name order, as many at
// once as the group's and the stage's maxConcurrency let, groups taking
// turns for free places) with nothing between one upgrade's end and the
// next one's start. duration gives each member's upgrade time.
func criticalPath(r runPlan, duration func(member int) time.Duration) time.Duration {
	var total time.Duration
	for si, st := range r.strategy.Stages {
		total += stageMakespan(st, r.members[si], duration)
		total += time.Duration(st.AfterStageWaitInSeconds) * time.Second
	}
	return total
}

// stageMakespan simulates one stage with instant orchestration.
func stageMakespan(st fleet.Stage, groups [][]int, duration func(int) time.Duration) time.Duration {
	total := 0
	for _, g := range groups {
		total += len(g)
	}
	stageCapC, _ := fleet.ParseConcurrency("", st.MaxConcurrency)
	stageCap := stageCapC.Limit(total, math.MaxInt)
	groupCap := make([]int, len(groups))
	for gi, g := range groups {
		c, _ := fleet.ParseConcurrency("", st.Groups[gi].MaxConcurrency)
		groupCap[gi] = c.Limit(len(g), 1)
	}
	next := make([]int, len(groups))     // next member to start, per group
	inFlight := make([]int, len(groups)) // per group
	type upgrade struct {
		group int
		end   time.Duration
	}
	var running []upgrade
	now := time.Duration(0)
	left := total
	for left > 0 {
		// Start what the limits allow, groups taking turns.
		for progress := true; progress && len(running) < stageCap; {
			progress = false
			for gi, g := range groups {
				if len(running) >= stageCap {
					break
				}
				if inFlight[gi] >= groupCap[gi] || next[gi] >= len(g) {
					continue
				}
				running = append(running, upgrade{gi, now + duration(g[next[gi]])})
				next[gi]++
				inFlight[gi]++
				progress = true
			}
		}
		// The earliest end frees its place.
		first := 0
		for i, u := range running {
			if u.end < running[first].end {
				first = i
			}
		}
		u := running[first]
		running = append(running[:first], running[first+1:]...)
		now = max(now, u.end)
		inFlight[u.group]--
		left--
	}
	return now
}
