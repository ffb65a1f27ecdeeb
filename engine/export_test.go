package engine

// Every test of the engine checks that the run documents it writes are
// what json.Marshal makes of the runs; benchmarks turn the check off
// through CheckEncoding, to measure what the engine does.
func init() { checkEncoding = true }

// CheckEncoding is the check's switch, for the benchmarks.
var CheckEncoding = &checkEncoding

// ParentState and StageState are the parent-state table, for its tests.
var (
	ParentState = parentState
	StageState  = stageState
	NodeState   = nodeState
)
