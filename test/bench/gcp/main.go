// gcp-bench: the bench topology served by go-control-plane, for a side-by-side run against Laneway.
// Same control API shape as Laneway's REST API for what the bench uses:
//
//	PUT /v1/lanes/{name}  {"services": {"svc": ["ip:port"]}}  -> 201, once every cache is updated
//	GET /readyz                                               -> 200
//	GET /debug/memory                                         -> {"heapAlloc":..,"sys":..} after a GC
//
// -mode snapshot: one SnapshotCache snapshot per sidecar group (node.cluster), rebuilt for the
// groups a lane touches (one version for the whole snapshot, as NewSnapshot takes it). -mode linear:
// per group one LinearCache per type behind a MuxCache; a lane updates only the resources that
// changed (proto.Equal against the previous build).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

const (
	typeCDS = resource.ClusterType
	typeEDS = resource.EndpointType
	typeLDS = resource.ListenerType
	typeRDS = resource.RouteType
)

var allTypes = []string{typeCDS, typeEDS, typeLDS, typeRDS}

// Publisher puts a group's resources into the cache.
type Publisher interface {
	Cache() cache.Cache
	Publish(group string, res GroupResources)
}

type snapshotPublisher struct {
	cache   cache.SnapshotCache
	version int
}

func (p *snapshotPublisher) Cache() cache.Cache { return p.cache }

func (p *snapshotPublisher) Publish(group string, res GroupResources) {
	p.version++
	byType := map[resource.Type][]types.Resource{}
	for _, t := range allTypes {
		for _, r := range res[t] {
			byType[t] = append(byType[t], r)
		}
	}
	snap, err := cache.NewSnapshot(fmt.Sprint(p.version), byType)
	if err != nil {
		log.Fatal(err)
	}
	if err := p.cache.SetSnapshot(context.Background(), group, snap); err != nil {
		log.Fatal(err)
	}
}

// groupHash maps a node to its sidecar group: the service it fronts.
type groupHash struct{}

func (groupHash) ID(node *core.Node) string { return node.GetCluster() }

type linearPublisher struct {
	mux      *cache.MuxCache
	mu       sync.Mutex
	previous map[string]GroupResources
}

func (p *linearPublisher) Cache() cache.Cache { return p.mux }

func (p *linearPublisher) Publish(group string, res GroupResources) {
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.previous[group]
	p.previous[group] = res
	for _, t := range allTypes {
		key := group + "/" + t
		c, ok := p.mux.Caches[key]
		if !ok {
			p.mux.Caches[key] = cache.NewLinearCache(t, cache.WithInitialResources(res[t]))
			continue
		}
		changed := map[string]types.Resource{}
		for name, r := range res[t] {
			if old, ok := before[t][name]; !ok || !proto.Equal(old, r) {
				changed[name] = r
			}
		}
		var removed []string
		for name := range before[t] {
			if _, still := res[t][name]; !still {
				removed = append(removed, name)
			}
		}
		if len(changed) == 0 && len(removed) == 0 {
			continue
		}
		if err := c.(*cache.LinearCache).UpdateResources(changed, removed); err != nil {
			log.Fatal(err)
		}
	}
}

func newLinearPublisher() *linearPublisher {
	p := &linearPublisher{previous: map[string]GroupResources{}}
	p.mux = &cache.MuxCache{
		Classify:      func(r *cache.Request) string { return r.GetNode().GetCluster() + "/" + r.GetTypeUrl() },
		ClassifyDelta: func(r *cache.DeltaRequest) string { return r.GetNode().GetCluster() + "/" + r.GetTypeUrl() },
		Caches:        map[string]cache.Cache{},
	}
	return p
}

func main() {
	mode := flag.String("mode", "linear", "snapshot | linear")
	topoFile := flag.String("topology", "", "topology JSON written by xds-bench.ts")
	xdsPort := flag.Int("xds-port", 0, "ADS port")
	apiPort := flag.Int("api-port", 0, "REST port")
	rebuild := flag.Bool("rebuild", false, "build and marshal every group's resources once, print the time as JSON, exit")
	flag.Parse()

	raw, err := os.ReadFile(*topoFile)
	if err != nil {
		log.Fatal(err)
	}
	var topo Topology
	if err := json.Unmarshal(raw, &topo); err != nil {
		log.Fatal(err)
	}
	model := newModel(&topo)
	if *rebuild {
		rebuildOnce(model)
		return
	}
	var pub Publisher
	if *mode == "snapshot" {
		pub = &snapshotPublisher{cache: cache.NewSnapshotCache(false, groupHash{}, nil)}
	} else {
		pub = newLinearPublisher()
	}
	for _, s := range topo.Services {
		pub.Publish(s.Name, model.build(s.Name))
	}
	serveADS(pub.Cache(), *xdsPort)
	serveAPI(model, pub, *apiPort)
}

func serveADS(c cache.Cache, port int) {
	grpcServer := grpc.NewServer(grpc.MaxConcurrentStreams(1_000_000), grpc.MaxRecvMsgSize(64<<20))
	discoverygrpc.RegisterAggregatedDiscoveryServiceServer(grpcServer, server.NewServer(context.Background(), c, nil))
	lis, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		log.Fatal(err)
	}
	go func() { log.Fatal(grpcServer.Serve(lis)) }()
}

func serveAPI(model *Model, pub Publisher, port int) {
	var mu sync.Mutex
	http.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	http.HandleFunc("/debug/memory", func(w http.ResponseWriter, _ *http.Request) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		_ = json.NewEncoder(w).Encode(map[string]uint64{"heapAlloc": ms.HeapAlloc, "sys": ms.Sys})
	})
	http.HandleFunc("/v1/lanes/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/v1/lanes/")
		var body struct {
			Services map[string][]string `json:"services"`
		}
		if r.Method != http.MethodPut || name == "" || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, group := range model.putLane(&Lane{Name: name, Services: body.Services}) {
			pub.Publish(group, model.build(group))
		}
		mu.Unlock()
		w.Header().Set("content-type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"name":"` + name + `"}`))
	})
	log.Fatal(http.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", port), nil))
}

// rebuildOnce times building every group's resources and serializing each once (what any cache
// must do at least once), the counterpart of Laneway's full rebuild.
func rebuildOnce(model *Model) {
	started := time.Now()
	bytes, count := 0, 0
	for _, s := range model.topo.Services {
		for _, byName := range model.build(s.Name) {
			for _, r := range byName {
				b, err := proto.MarshalOptions{Deterministic: true}.Marshal(r)
				if err != nil {
					log.Fatal(err)
				}
				bytes += len(b)
				count++
			}
		}
	}
	ms := float64(time.Since(started).Microseconds()) / 1000
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{"ms": ms, "bytes": bytes, "resources": count})
}
