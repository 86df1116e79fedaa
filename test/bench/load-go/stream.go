package main

// One ADS stream that behaves like an Envoy sidecar: CDS and LDS as wildcards, EDS for the clusters
// it got, RDS for the route configurations its listeners name, every response ACKed at once. One
// HTTP/2 connection per stream. SotW or delta.

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"sync"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	typeCDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	typeEDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	typeLDS = "type.googleapis.com/envoy.config.listener.v3.Listener"
	typeRDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"

	adsService = "/envoy.service.discovery.v3.AggregatedDiscoveryService/"
	// Envoy's HTTP/2 windows (initial_stream_window_size and initial_connection_window_size default to
	// 256 MiB): a push at 10,000 lanes (about 150 KB) never waits on a WINDOW_UPDATE.
	envoyHTTP2Window = 256 * 1024 * 1024
	maxReceive       = 64 * 1024 * 1024

	// Envoy's retry backoff for its xDS stream.
	retryInitialDelay = 500 * time.Millisecond
	retryMaxDelay     = 30 * time.Second
)

// mu guards every stream's held names and counters, and the listener: streams receive on their own
// goroutines, the commands read what they hold.
var mu sync.Mutex

// listener is called (under mu) after a stream ACKed a response, with the time of the ACK.
var listener func(s *envoyStream, res *scannedResponse, ackedAt float64)

type streamNode struct {
	ID      string `json:"id"`
	Service string `json:"service"`
}

// rawCodec passes messages through as bytes: responses are scanned, not decoded into objects.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

type envoyStream struct {
	node     streamNode
	protocol string
	// Names held per type (what the last responses left the client with). Guarded by mu.
	held      map[string]map[string]struct{}
	responses int
	bytes     int
	err       string // the stream could not be set up at all
	closed    bool
	// Streams that failed and were opened again, and the last one's error.
	failures    int
	lastFailure string
	// How far the stream got: for an error about a stream that never synced.
	stage string

	conn   *grpc.ClientConn
	cancel context.CancelFunc
	// Below: only the stream's own goroutine uses these.
	call       grpc.ClientStream
	subscribed map[string]map[string]struct{}
	lastSotw   map[string][2]string // type -> version, nonce
	sentNode   bool
}

func openStream(target string, node streamNode, protocol string) *envoyStream {
	s := &envoyStream{
		node: node, protocol: protocol,
		held:       map[string]map[string]struct{}{typeCDS: {}, typeEDS: {}, typeLDS: {}, typeRDS: {}},
		subscribed: map[string]map[string]struct{}{typeEDS: {}, typeRDS: {}},
		lastSotw:   map[string][2]string{},
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	// A client of its own: one connection per stream, as each Envoy has its own. It connects on the
	// first call.
	conn, err := grpc.NewClient("passthrough:///"+target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(envoyHTTP2Window),
		grpc.WithInitialConnWindowSize(envoyHTTP2Window),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(maxReceive)))
	if err != nil {
		s.err = err.Error()
		return s
	}
	s.conn = conn
	go s.run(ctx)
	return s
}

func (s *envoyStream) setStage(stage string) {
	mu.Lock()
	s.stage = stage
	mu.Unlock()
}

func (s *envoyStream) close() {
	mu.Lock()
	s.closed = true
	mu.Unlock()
	s.cancel()
	if s.conn != nil {
		s.conn.Close()
	}
}

// run keeps the stream open as Envoy does: a stream that fails is opened again after a jittered,
// doubling backoff (Envoy's xDS defaults), starting over as a proxy that has just connected. Under a
// connect storm the server's listen queue can overflow and reset connections; a real Envoy retries.
func (s *envoyStream) run(ctx context.Context) {
	backoff := retryInitialDelay
	for {
		gotResponse, err := s.serve(ctx)
		if ctx.Err() != nil {
			return
		}
		if gotResponse {
			backoff = retryInitialDelay
		}
		s.restart(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(rand.Int63n(int64(backoff)))):
		}
		backoff = min(2*backoff, retryMaxDelay)
	}
}

// serve opens one ADS stream and handles it until it fails.
func (s *envoyStream) serve(ctx context.Context) (gotResponse bool, err error) {
	method := "StreamAggregatedResources"
	if s.protocol == "delta" {
		method = "DeltaAggregatedResources"
	}
	desc := &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
	s.setStage("opening the stream")
	// Waits while the connection (re)connects, under gRPC's own connection backoff.
	if s.call, err = s.conn.NewStream(ctx, desc, adsService+method, grpc.WaitForReady(true)); err != nil {
		return false, err
	}
	s.setStage("sending the first requests")
	for _, typ := range []string{typeCDS, typeLDS} {
		if err := s.send(s.request(typ, nil, nil, nil, "")); err != nil {
			return false, err
		}
	}
	s.setStage("receiving")
	for {
		var buf []byte
		if err := s.call.RecvMsg(&buf); err != nil {
			return gotResponse, err
		}
		gotResponse = true
		if err := s.onResponse(buf); err != nil {
			return true, err
		}
	}
}

// restart forgets everything the failed stream held and asked for, and counts the failure.
func (s *envoyStream) restart(err error) {
	mu.Lock()
	defer mu.Unlock()
	s.failures++
	s.lastFailure = err.Error()
	s.stage = "waiting to retry"
	for _, held := range s.held {
		clear(held)
	}
	for _, names := range s.subscribed {
		clear(names)
	}
	clear(s.lastSotw)
	s.sentNode = false
}

func (s *envoyStream) send(msg proto.Message) error {
	b, err := proto.Marshal(msg)
	if err != nil {
		return err
	}
	return s.call.SendMsg(&b)
}

func (s *envoyStream) nodeField() *core.Node {
	if s.sentNode {
		return nil
	}
	s.sentNode = true
	metadata, _ := structpb.NewStruct(map[string]any{
		"laneway.kind": "sidecar", "laneway.service": s.node.Service, "laneway.listener_port": "15001",
	})
	return &core.Node{Id: s.node.ID, Cluster: s.node.Service, Metadata: metadata}
}

// request: SotW, the full name list with the last version and nonce; delta, the subscription change.
func (s *envoyStream) request(typeURL string, names, add, remove []string, nonce string) proto.Message {
	if s.protocol == "sotw" {
		last := s.lastSotw[typeURL]
		return &discovery.DiscoveryRequest{TypeUrl: typeURL, ResourceNames: names, VersionInfo: last[0], ResponseNonce: last[1], Node: s.nodeField()}
	}
	return &discovery.DeltaDiscoveryRequest{TypeUrl: typeURL, ResourceNamesSubscribe: add, ResourceNamesUnsubscribe: remove, ResponseNonce: nonce, Node: s.nodeField()}
}

func (s *envoyStream) onResponse(buf []byte) error {
	scan := scanSotwResponse
	if s.protocol == "delta" {
		scan = scanDeltaResponse
	}
	res, err := scan(buf)
	if err != nil {
		return fmt.Errorf("unreadable response: %w", err)
	}
	var out []proto.Message
	mu.Lock()
	s.responses++
	s.bytes += len(buf)
	held, known := s.held[res.typeURL]
	if known {
		out = s.apply(&res, held)
	}
	mu.Unlock()
	if !known {
		return nil
	}
	for _, msg := range out {
		if err := s.send(msg); err != nil {
			return err
		}
	}
	at := now()
	mu.Lock()
	if listener != nil {
		listener(s, &res, at)
	}
	mu.Unlock()
	return nil
}

// apply updates what the stream holds and returns the requests to send: a dependent type's
// subscription, if it changed, then the ACK. Called under mu.
func (s *envoyStream) apply(res *scannedResponse, held map[string]struct{}) []proto.Message {
	if s.protocol == "sotw" {
		// Wildcard types are replaced; named ones keep names the response left out.
		if res.typeURL == typeCDS || res.typeURL == typeLDS {
			clear(held)
		}
		s.lastSotw[res.typeURL] = [2]string{res.version, res.nonce}
	}
	for _, name := range res.removed {
		delete(held, name)
	}
	// Like Envoy, a named type's resource reaches the client only if something asked for it (an EDS
	// watch exists once the cluster arrived); anything else in a response is dropped.
	watched, named := s.subscribed[res.typeURL]
	for _, r := range res.resources {
		if _, ok := watched[r.name]; !named || ok {
			held[r.name] = struct{}{}
		}
	}
	var out []proto.Message
	var follow proto.Message
	if res.typeURL == typeCDS {
		follow = s.follow(typeEDS, keys(held), res)
	} else if res.typeURL == typeLDS {
		var names []string
		for _, r := range res.resources {
			names = append(names, routeConfigNames(r.value)...)
		}
		follow = s.follow(typeRDS, names, res)
	}
	if follow != nil {
		out = append(out, follow)
	}
	return append(out, s.ack(res))
}

// follow subscribes the dependent type to exactly names (Envoy asks for what its clusters and
// listeners need); nil when nothing changed.
func (s *envoyStream) follow(typeURL string, names []string, parent *scannedResponse) proto.Message {
	current := s.subscribed[typeURL]
	wanted := map[string]struct{}{}
	if s.protocol == "delta" && parent.typeURL == typeLDS {
		// A delta LDS response carries only the listeners that changed.
		for n := range current {
			wanted[n] = struct{}{}
		}
	}
	for _, n := range names {
		wanted[n] = struct{}{}
	}
	var add, remove []string
	for n := range wanted {
		if _, ok := current[n]; !ok {
			add = append(add, n)
		}
	}
	for n := range current {
		if _, ok := wanted[n]; !ok {
			remove = append(remove, n)
		}
	}
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	s.subscribed[typeURL] = wanted
	for _, n := range remove {
		delete(s.held[typeURL], n)
	}
	sort.Strings(add)
	sort.Strings(remove)
	var all []string // SotW names every subscribed name; delta only the change
	if s.protocol == "sotw" {
		all = keys(wanted)
	}
	return s.request(typeURL, all, add, remove, "")
}

func (s *envoyStream) ack(res *scannedResponse) proto.Message {
	if s.protocol == "sotw" {
		var names []string
		if res.typeURL == typeEDS || res.typeURL == typeRDS {
			names = keys(s.subscribed[res.typeURL])
		}
		return s.request(res.typeURL, names, nil, nil, "")
	}
	return s.request(res.typeURL, nil, nil, nil, res.nonce)
}

// keys: the set's names, sorted.
func keys(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// holds: whether the stream holds every name of the type. Called under mu.
func (s *envoyStream) holds(typeURL string, names []string) bool {
	held := s.held[typeURL]
	for _, n := range names {
		if _, ok := held[n]; !ok {
			return false
		}
	}
	return true
}
