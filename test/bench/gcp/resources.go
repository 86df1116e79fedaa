// The bench topology (written by xds-bench.ts as JSON) and the Envoy resources each sidecar group
// gets, built the way Laneway's translator builds them for this topology: one EDS cluster and one
// ClusterLoadAssignment per (service, instance), and a route configuration whose virtual hosts
// dispatch on the lane header with an exact-match map. The bench checks the RouteConfigurations
// are equal message by message.
package main

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"time"

	xdscore "github.com/cncf/xds/go/xds/core/v3"
	xdsmatcher "github.com/cncf/xds/go/xds/type/matcher/v3"
	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	router "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcherinput "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

type Service struct {
	Name      string   `json:"name"`
	Port      int      `json:"port"`
	Endpoints []string `json:"endpoints"`
	DependsOn []string `json:"dependsOn"`
}

type Lane struct {
	Name     string              `json:"name"`
	Services map[string][]string `json:"services"`
}

type Topology struct {
	LaneHeader     string     `json:"laneHeader"`
	ServedByHeader string     `json:"servedByHeader"`
	Services       []*Service `json:"services"`
	Lanes          []*Lane    `json:"lanes"`
}

// Model is the topology indexed for building: services by name, lanes by the services they override.
type Model struct {
	topo         *Topology
	services     map[string]*Service
	lanes        map[string]*Lane
	lanesBySvc   map[string]map[string]bool
	callersBySvc map[string][]string
}

func newModel(t *Topology) *Model {
	m := &Model{topo: t, services: map[string]*Service{}, lanes: map[string]*Lane{}, lanesBySvc: map[string]map[string]bool{}, callersBySvc: map[string][]string{}}
	for _, s := range t.Services {
		m.services[s.Name] = s
	}
	for _, s := range t.Services {
		for _, callee := range m.callees(s) {
			m.callersBySvc[callee] = append(m.callersBySvc[callee], s.Name)
		}
	}
	for _, l := range t.Lanes {
		m.putLane(l)
	}
	return m
}

// callees are the services a sidecar of s sees: its dependsOn, or (absent) every service.
func (m *Model) callees(s *Service) []string {
	if s.DependsOn != nil {
		return s.DependsOn
	}
	all := make([]string, 0, len(m.topo.Services))
	for _, other := range m.topo.Services {
		all = append(all, other.Name)
	}
	return all
}

// putLane adds or replaces a lane; returns the groups (services) whose resources change.
func (m *Model) putLane(l *Lane) []string {
	touched := map[string]bool{}
	if old, ok := m.lanes[l.Name]; ok {
		for svc := range old.Services {
			delete(m.lanesBySvc[svc], l.Name)
			touched[svc] = true
		}
	}
	m.lanes[l.Name] = l
	for svc := range l.Services {
		if m.lanesBySvc[svc] == nil {
			m.lanesBySvc[svc] = map[string]bool{}
		}
		m.lanesBySvc[svc][l.Name] = true
		touched[svc] = true
	}
	groups := map[string]bool{}
	for svc := range touched {
		for _, caller := range m.callersBySvc[svc] {
			groups[caller] = true
		}
	}
	return sortedKeys(groups)
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// GroupResources are one sidecar group's resources by type URL, each keyed by name.
type GroupResources map[string]map[string]types.Resource

func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err)
	}
	return a
}

func adsSource() *core.ConfigSource {
	return &core.ConfigSource{ResourceApiVersion: core.ApiVersion_V3, ConfigSourceSpecifier: &core.ConfigSource_Ads{Ads: &core.AggregatedConfigSource{}}}
}

func clusterFor(name string) *cluster.Cluster {
	return &cluster.Cluster{
		Name:                 name,
		ClusterDiscoveryType: &cluster.Cluster_Type{Type: cluster.Cluster_EDS},
		EdsClusterConfig:     &cluster.Cluster_EdsClusterConfig{EdsConfig: adsSource()},
		ConnectTimeout:       durationpb.New(time.Second),
	}
}

func loadAssignment(name string, endpoints []string) *endpoint.ClusterLoadAssignment {
	var lbs []*endpoint.LbEndpoint
	sorted := append([]string(nil), endpoints...)
	sort.Strings(sorted)
	for _, ep := range sorted {
		host, portText, err := net.SplitHostPort(ep)
		if err != nil {
			panic(fmt.Sprintf("endpoint %q: %v", ep, err))
		}
		port, _ := strconv.Atoi(portText)
		lbs = append(lbs, &endpoint.LbEndpoint{HostIdentifier: &endpoint.LbEndpoint_Endpoint{Endpoint: &endpoint.Endpoint{
			Address: &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{
				Address: host, PortSpecifier: &core.SocketAddress_PortValue{PortValue: uint32(port)},
			}}},
		}}})
	}
	return &endpoint.ClusterLoadAssignment{ClusterName: name, Endpoints: []*endpoint.LocalityLbEndpoints{{LbEndpoints: lbs}}}
}

func (m *Model) routeTo(svc, instance string) *route.Route {
	return &route.Route{
		Match:  &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}},
		Action: &route.Route_Route{Route: &route.RouteAction{ClusterSpecifier: &route.RouteAction_Cluster{Cluster: svc + "~" + instance}}},
		ResponseHeadersToAdd: []*core.HeaderValueOption{{
			Header:       &core.HeaderValue{Key: m.topo.ServedByHeader, Value: svc + "/" + instance},
			AppendAction: core.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		}},
	}
}

func (m *Model) routeAction(svc, instance string) *xdsmatcher.Matcher_OnMatch {
	return &xdsmatcher.Matcher_OnMatch{OnMatch: &xdsmatcher.Matcher_OnMatch_Action{Action: &xdscore.TypedExtensionConfig{
		Name: svc + "/" + instance, TypedConfig: mustAny(m.routeTo(svc, instance)),
	}}}
}

func (m *Model) virtualHost(svc string) *route.VirtualHost {
	s := m.services[svc]
	vh := &route.VirtualHost{Name: svc, Domains: []string{svc, fmt.Sprintf("%s:%d", svc, s.Port)}}
	lanes := sortedKeys(m.lanesBySvc[svc])
	if len(lanes) == 0 {
		vh.Routes = []*route.Route{m.routeTo(svc, "stable")}
		return vh
	}
	byLane := map[string]*xdsmatcher.Matcher_OnMatch{}
	for _, lane := range lanes {
		byLane[lane] = m.routeAction(svc, lane)
	}
	vh.Matcher = &xdsmatcher.Matcher{
		MatcherType: &xdsmatcher.Matcher_MatcherTree_{MatcherTree: &xdsmatcher.Matcher_MatcherTree{
			Input:    &xdscore.TypedExtensionConfig{Name: "lane", TypedConfig: mustAny(&matcherinput.HttpRequestHeaderMatchInput{HeaderName: m.topo.LaneHeader})},
			TreeType: &xdsmatcher.Matcher_MatcherTree_ExactMatchMap{ExactMatchMap: &xdsmatcher.Matcher_MatcherTree_MatchMap{Map: byLane}},
		}},
		OnNoMatch: m.routeAction(svc, "stable"),
	}
	return vh
}

func outboundListener() *listener.Listener {
	manager := &hcm.HttpConnectionManager{
		StatPrefix:     "outbound",
		RouteSpecifier: &hcm.HttpConnectionManager_Rds{Rds: &hcm.Rds{ConfigSource: adsSource(), RouteConfigName: "outbound"}},
		HttpFilters:    []*hcm.HttpFilter{{Name: "envoy.filters.http.router", ConfigType: &hcm.HttpFilter_TypedConfig{TypedConfig: mustAny(&router.Router{})}}},
	}
	return &listener.Listener{
		Name: "outbound",
		Address: &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{
			Address: "127.0.0.1", PortSpecifier: &core.SocketAddress_PortValue{PortValue: 15001},
		}}},
		FilterChains: []*listener.FilterChain{{Filters: []*listener.Filter{{
			Name: "envoy.filters.network.http_connection_manager", ConfigType: &listener.Filter_TypedConfig{TypedConfig: mustAny(manager)},
		}}}},
	}
}

// build returns the resources of the sidecar group fronting `group`.
func (m *Model) build(group string) GroupResources {
	out := GroupResources{typeCDS: {}, typeEDS: {}, typeLDS: {}, typeRDS: {}}
	callees := append([]string(nil), m.callees(m.services[group])...)
	sort.Strings(callees)
	rc := &route.RouteConfiguration{Name: "outbound"}
	for _, svc := range callees {
		if m.services[svc] == nil {
			continue
		}
		rc.VirtualHosts = append(rc.VirtualHosts, m.virtualHost(svc))
		instances := map[string][]string{"stable": m.services[svc].Endpoints}
		for lane := range m.lanesBySvc[svc] {
			instances[lane] = m.lanes[lane].Services[svc]
		}
		for instance, endpoints := range instances {
			name := svc + "~" + instance
			out[typeCDS][name] = clusterFor(name)
			out[typeEDS][name] = loadAssignment(name, endpoints)
		}
	}
	out[typeRDS]["outbound"] = rc
	out[typeLDS]["outbound"] = outboundListener()
	return out
}
