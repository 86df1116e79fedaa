// loadgen: the bench's load generator. N Envoy-like ADS streams, driven by the bench with one JSON
// command per line on stdin, one JSON reply per line on stdout. It times what a proxy would see:
// when every stream holds its config, and, after a lane is created through the control API, when
// every affected stream has received and ACKed the lane's clusters, endpoints and routes.
//
// Written in Go so that its own cost per message stays well below the servers' (the Node version
// spent 31-42 ms of CPU per lane create at 1,000 streams, about what a server spends).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
)

type command struct {
	Cmd       string          `json:"cmd"`
	Target    string          `json:"target"`
	Protocol  string          `json:"protocol"`
	Nodes     []streamNode    `json:"nodes"`
	TimeoutMs float64         `json:"timeoutMs"`
	APIURL    string          `json:"apiUrl"`
	Name      string          `json:"name"`
	Body      json.RawMessage `json:"body"`
	// node id -> the lane's clusters that node must get.
	Expect   map[string][]string `json:"expect"`
	RatePerS float64             `json:"ratePerS"`
	Lanes    []churnLane         `json:"lanes"`
}

type reply struct {
	OK     bool   `json:"ok"`
	Result any    `json:"result,omitempty"`
	Error  string `json:"error,omitempty"`
}

var epoch = time.Now()

// now: ms since the process started.
func now() float64 { return float64(time.Since(epoch).Nanoseconds()) / 1e6 }

// cpuMs: this process's user + system CPU time so far.
func cpuMs() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

// waitUntil polls done (under mu) every 2 ms until it holds or timeoutMs passed.
func waitUntil(done func() bool, timeoutMs float64) bool {
	deadline := time.Now().Add(time.Duration(timeoutMs * float64(time.Millisecond)))
	for {
		mu.Lock()
		ok := done()
		mu.Unlock()
		if ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// collectGarbage: a full collection before timing anything, so that this process's garbage from
// the last step is not collected in the middle of the next.
func collectGarbage() {
	runtime.GC()
	time.Sleep(20 * time.Millisecond)
}

func handle(c *command) (any, error) {
	switch c.Cmd {
	case "connect":
		return connect(c.Target, c.Protocol, c.Nodes, c.TimeoutMs), nil
	case "lane":
		return lane(c)
	case "churn":
		return churn(c), nil
	case "reconnect":
		return reconnect(c.Target, c.TimeoutMs), nil
	case "close":
		closeAll()
		return struct{}{}, nil
	}
	return nil, fmt.Errorf("unknown command %q", c.Cmd)
}

func main() {
	go watchStalls()
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := json.NewEncoder(os.Stdout)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 {
			var c command
			r := reply{}
			if err := json.Unmarshal(line, &c); err != nil {
				r.Error = fmt.Sprintf("unreadable command: %v", err)
			} else if result, err := handle(&c); err != nil {
				r.Error = err.Error()
			} else {
				r.OK, r.Result = true, result
			}
			if err := out.Encode(r); err != nil {
				os.Exit(1)
			}
		}
		if err != nil {
			closeAll()
			return // stdin closed: the bench is done
		}
	}
}
