package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"
)

var streams []*envoyStream

var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

type connectResult struct {
	Ms float64 `json:"ms"`
	// Per stream: ms from the start until it held CDS, EDS for every cluster, LDS and RDS.
	SyncedMs []float64 `json:"syncedMs"`
	Errors   []string  `json:"errors"`
	// Streams that failed at least once and were opened again, as Envoy retries.
	StreamsRetried int `json:"streamsRetried"`
}

type laneResult struct {
	HTTPStatus int     `json:"httpStatus"`
	HTTPMs     float64 `json:"httpMs"`
	// Per affected stream: ms from sending the PUT until its last needed ACK.
	ConvergedMs []float64 `json:"convergedMs"`
	Missing     []string  `json:"missing"`
	// Responses that reached streams the lane does not affect.
	UnaffectedResponses int `json:"unaffectedResponses"`
	AffectedResponses   int `json:"affectedResponses"`
	AffectedBytes       int `json:"affectedBytes"`
	// This process's longest stall while timing the lane, and its CPU time from the PUT until the
	// last affected stream converged.
	LoadgenStallMs float64 `json:"loadgenStallMs"`
	LoadgenCPUMs   float64 `json:"loadgenCpuMs"`
}

// synced: the stream holds clusters, routes and the endpoints of every cluster. Called under mu.
func synced(s *envoyStream) bool {
	if len(s.held[typeCDS]) == 0 || len(s.held[typeRDS]) == 0 {
		return false
	}
	for name := range s.held[typeCDS] {
		if _, ok := s.held[typeEDS][name]; !ok {
			return false
		}
	}
	return true
}

func setListener(l func(s *envoyStream, res *scannedResponse, at float64)) {
	mu.Lock()
	listener = l
	mu.Unlock()
}

func connect(target, protocol string, nodes []streamNode, timeoutMs float64) connectResult {
	started := now()
	syncedAt := map[*envoyStream]float64{}
	setListener(func(s *envoyStream, _ *scannedResponse, at float64) {
		if _, ok := syncedAt[s]; !ok && synced(s) {
			syncedAt[s] = at - started
		}
	})
	opened := make([]*envoyStream, 0, len(nodes))
	for _, node := range nodes {
		opened = append(opened, openStream(target, node, protocol))
	}
	streams = append(streams, opened...)
	// Until every stream synced or failed: one failed stream does not cut the others' wait short.
	waitUntil(func() bool {
		if len(syncedAt) == len(opened) {
			return true
		}
		for _, s := range opened {
			if _, ok := syncedAt[s]; !ok && s.err == "" {
				return false
			}
		}
		return true
	}, timeoutMs)
	setListener(nil)
	result := connectResult{Ms: now() - started, SyncedMs: []float64{}, Errors: []string{}}
	mu.Lock()
	defer mu.Unlock()
	var unsynced []string
	for _, s := range opened {
		if s.failures > 0 {
			result.StreamsRetried++
		}
		if ms, ok := syncedAt[s]; ok {
			result.SyncedMs = append(result.SyncedMs, ms)
		} else if s.err != "" {
			result.Errors = append(result.Errors, fmt.Sprintf("%s: %s", s.node.ID, s.err))
		} else {
			unsynced = append(unsynced, fmt.Sprintf("%s: not synced after %.0f ms (%s)", s.node.ID, result.Ms, s.describe()))
		}
	}
	result.Errors = append(result.Errors, unsynced...) // failures first: they say why
	return result
}

// describe: what a stream holds and has received, for an error about it. Called under mu.
func (s *envoyStream) describe() string {
	failed := ""
	if s.failures > 0 {
		failed = fmt.Sprintf("; failed %d times, last: %s", s.failures, s.lastFailure)
	}
	return fmt.Sprintf("%s; connection %s; holds CDS %d, EDS %d, LDS %d, RDS %d; %d responses%s",
		s.stage, s.conn.GetState(), len(s.held[typeCDS]), len(s.held[typeEDS]), len(s.held[typeLDS]),
		len(s.held[typeRDS]), s.responses, failed)
}

// routesLane: whether an RDS response carries a route that names the lane.
func routesLane(res *scannedResponse, marker []byte) bool {
	if res.typeURL != typeRDS {
		return false
	}
	for _, r := range res.resources {
		if bytes.Contains(r.value, marker) {
			return true
		}
	}
	return false
}

func putLane(apiURL, name string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPut, apiURL+"/v1/lanes/"+name, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("content-type", "application/json")
	res, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

func lane(c *command) (laneResult, error) {
	marker := []byte(c.Name)
	affected := map[*envoyStream][]string{}
	for _, s := range streams {
		if clusters, ok := c.Expect[s.node.ID]; ok {
			affected[s] = clusters
		}
	}
	routed := map[*envoyStream]bool{}
	converged := map[*envoyStream]float64{}
	type counts struct{ responses, bytes int }
	before := map[*envoyStream]counts{}
	mu.Lock()
	for _, s := range streams {
		before[s] = counts{s.responses, s.bytes}
	}
	mu.Unlock()
	var t0 float64
	setListener(func(s *envoyStream, res *scannedResponse, at float64) {
		clusters, ok := affected[s]
		if _, done := converged[s]; !ok || done {
			return
		}
		if routesLane(res, marker) {
			routed[s] = true
		}
		if routed[s] && s.holds(typeCDS, clusters) && s.holds(typeEDS, clusters) {
			converged[s] = at - t0
		}
	})
	collectGarbage()
	resetStalls()
	cpu0 := cpuMs()
	mu.Lock()
	t0 = now()
	mu.Unlock()
	status, err := putLane(c.APIURL, c.Name, c.Body)
	if err != nil {
		setListener(nil)
		return laneResult{}, fmt.Errorf("PUT lane %s: %w", c.Name, err)
	}
	httpMs := now() - t0
	waitUntil(func() bool { return len(converged) == len(affected) }, c.TimeoutMs)
	result := laneResult{HTTPStatus: status, HTTPMs: httpMs, LoadgenStallMs: longestStallMs(), LoadgenCPUMs: cpuMs() - cpu0,
		ConvergedMs: []float64{}, Missing: []string{}}
	time.Sleep(100 * time.Millisecond) // late pushes to bystanders still count
	setListener(nil)
	mu.Lock()
	defer mu.Unlock()
	for _, s := range streams {
		was := before[s]
		if _, ok := affected[s]; ok {
			result.AffectedResponses += s.responses - was.responses
			result.AffectedBytes += s.bytes - was.bytes
		} else {
			result.UnaffectedResponses += s.responses - was.responses
		}
	}
	for s := range affected {
		if ms, ok := converged[s]; ok {
			result.ConvergedMs = append(result.ConvergedMs, ms)
		} else {
			result.Missing = append(result.Missing, s.node.ID)
		}
	}
	return result, nil
}

// reconnect: every stream drops at once and reconnects at once, as after a control-plane failover.
func reconnect(target string, timeoutMs float64) connectResult {
	old := streams
	streams = nil
	if len(old) == 0 {
		return connectResult{SyncedMs: []float64{}, Errors: []string{}}
	}
	nodes := make([]streamNode, len(old))
	for i, s := range old {
		nodes[i] = s.node
		s.close()
	}
	return connect(target, old[0].protocol, nodes, timeoutMs)
}

func closeAll() {
	for _, s := range streams {
		s.close()
	}
	streams = nil
}
