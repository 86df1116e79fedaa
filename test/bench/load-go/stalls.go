package main

import (
	"sync/atomic"
	"time"
)

const stallTick = 5 * time.Millisecond

// longestStallNs: the longest a 5 ms sleep overslept since the last reset: how long this process
// could not get to a ready goroutine (its GC, or its own work on its one CPU), the counterpart of
// Node's event-loop delay.
var longestStallNs atomic.Int64

func watchStalls() {
	for {
		started := time.Now()
		time.Sleep(stallTick)
		late := int64(time.Since(started) - stallTick)
		for {
			prev := longestStallNs.Load()
			if late <= prev || longestStallNs.CompareAndSwap(prev, late) {
				break
			}
		}
	}
}

func resetStalls() { longestStallNs.Store(0) }

func longestStallMs() float64 { return float64(longestStallNs.Load()) / 1e6 }
