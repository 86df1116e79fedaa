package main

// Lane churn: lanes created through the control API at a fixed rate (open loop: a slow server does
// not slow the writes down), each timed until every stream it affects has received and ACKed its
// routes, clusters and endpoints. Many lanes are in flight at once.

import (
	"encoding/json"
	"sync"
	"time"
)

type churnLane struct {
	Name string          `json:"name"`
	Body json.RawMessage `json:"body"`
	// node id -> the lane's clusters that node must get.
	Expect map[string][]string `json:"expect"`
}

type churnResult struct {
	RatePerS float64 `json:"ratePerS"`
	Lanes    int     `json:"lanes"`
	// Per (lane, affected stream): ms from sending the lane's PUT until that stream ACKed it all.
	ConvergedMs []float64 `json:"convergedMs"`
	Missing     int       `json:"missing"`
	HTTPErrors  int       `json:"httpErrors"`
	// ms from the first PUT until the last lane converged (or the timeout).
	Ms float64 `json:"ms"`
}

type trackedLane struct {
	marker  []byte
	sentAt  float64
	pending map[*envoyStream][]string
	routed  map[*envoyStream]bool
}

func churn(c *command) churnResult {
	byID := map[string]*envoyStream{}
	for _, s := range streams {
		byID[s.node.ID] = s
	}
	var tracked []*trackedLane
	result := churnResult{RatePerS: c.RatePerS, Lanes: len(c.Lanes), ConvergedMs: []float64{}}
	setListener(func(s *envoyStream, res *scannedResponse, at float64) {
		for _, t := range tracked {
			clusters, ok := t.pending[s]
			if !ok {
				continue
			}
			if routesLane(res, t.marker) {
				t.routed[s] = true
			}
			if t.routed[s] && s.holds(typeCDS, clusters) && s.holds(typeEDS, clusters) {
				delete(t.pending, s)
				result.ConvergedMs = append(result.ConvergedMs, at-t.sentAt)
			}
		}
	})
	collectGarbage()
	started := time.Now()
	var puts sync.WaitGroup
	for i, l := range c.Lanes {
		due := started.Add(time.Duration(float64(i) * float64(time.Second) / c.RatePerS))
		time.Sleep(time.Until(due))
		pending := map[*envoyStream][]string{}
		for id, clusters := range l.Expect {
			if s, ok := byID[id]; ok {
				pending[s] = clusters
			}
		}
		mu.Lock()
		tracked = append(tracked, &trackedLane{marker: []byte(l.Name), sentAt: now(), pending: pending, routed: map[*envoyStream]bool{}})
		mu.Unlock()
		puts.Add(1)
		go func(l churnLane) {
			defer puts.Done()
			status, err := putLane(c.APIURL, l.Name, l.Body)
			if err != nil || status >= 300 {
				mu.Lock()
				result.HTTPErrors++
				mu.Unlock()
			}
		}(l)
	}
	puts.Wait()
	waitUntil(func() bool {
		for _, t := range tracked {
			if len(t.pending) > 0 {
				return false
			}
		}
		return true
	}, c.TimeoutMs)
	setListener(nil)
	mu.Lock()
	defer mu.Unlock()
	for _, t := range tracked {
		result.Missing += len(t.pending)
	}
	result.Ms = float64(time.Since(started).Nanoseconds()) / 1e6
	return result
}
