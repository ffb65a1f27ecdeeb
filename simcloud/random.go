package simcloud

import "fmt"

// mix64 is the splitmix64 finaliser: a bijection on 64-bit values that
// scrambles every input bit into every output bit. The simulator's
// jitter, fault choices and operation ids come from it, so one seed gives
// the same simulation every time.
func mix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// unit returns a number in [0, 1) determined by seed and the keys.
func unit(seed int64, keys ...uint64) float64 {
	h := mix64(uint64(seed))
	for _, k := range keys {
		h = mix64(h ^ k)
	}
	return float64(h>>11) / (1 << 53)
}

// operationID formats a GUID-shaped operation id. Its last 64 bits are a
// bijection of seq, so ids from one seed never repeat.
func operationID(seed int64, seq uint64) string {
	lo := mix64(uint64(seed) + seq*0x9E3779B97F4A7C15)
	hi := mix64(lo ^ 0xD1B54A32D192ED03)
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", hi>>32, (hi>>16)&0xffff, hi&0xfff, lo>>48, lo&0xffffffffffff)
}
