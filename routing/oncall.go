package routing

import (
	"math/big"
	"time"
)

// At returns the rep on call at now and true, or "" and false when the rota
// is empty. The rota turns every o.Shift from o.Start, also backwards for
// times before Start. A Shift <= 0 does not turn: Rota[0] is always on call
// (New rejects that configuration; At stays total anyway).
func (o OnCall) At(now time.Time) (string, bool) {
	if len(o.Rota) == 0 {
		return "", false
	}
	if o.Shift <= 0 {
		return o.Rota[0], true
	}
	return o.Rota[rotaIndex(now, o.Start, o.Shift, len(o.Rota))], true
}

// rotaIndex is floor((now-start)/shift) mod n. It uses big integers because
// time.Time.Sub saturates after ~292 years, and a zero Start (year 1) is an
// easy thing to leave in a config.
func rotaIndex(now, start time.Time, shift time.Duration, n int) int {
	elapsed := new(big.Int).Mul(big.NewInt(now.Unix()-start.Unix()), big.NewInt(int64(time.Second)))
	elapsed.Add(elapsed, big.NewInt(int64(now.Nanosecond()-start.Nanosecond())))
	// Div and Mod are Euclidean: with positive divisors they floor and never
	// go negative, which is what a rota needs before Start.
	turns := new(big.Int).Div(elapsed, big.NewInt(int64(shift)))
	return int(turns.Mod(turns, big.NewInt(int64(n))).Int64())
}
