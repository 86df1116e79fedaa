package main

// Just enough protobuf reading for a load generator that must stay cheap at thousands of streams:
// top-level fields of (Delta)DiscoveryResponse and the few names an Envoy-like client needs, read
// straight from the bytes, no message objects.

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

type field struct {
	number protowire.Number
	typ    protowire.Type
	// Length-delimited payload (wire type 2); nil otherwise.
	bytes []byte
}

// fields calls visit for every top-level field of buf; visit returns false to stop.
func fields(buf []byte, visit func(f field) bool) error {
	for len(buf) > 0 {
		num, typ, n := protowire.ConsumeTag(buf)
		if n < 0 {
			return protowire.ParseError(n)
		}
		buf = buf[n:]
		f := field{number: num, typ: typ}
		if typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(buf)
			if m < 0 {
				return protowire.ParseError(m)
			}
			f.bytes = v
			n = m
		} else {
			n = protowire.ConsumeFieldValue(num, typ, buf)
			if n < 0 {
				return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
			}
		}
		buf = buf[n:]
		if !visit(f) {
			return nil
		}
	}
	return nil
}

func firstBytes(buf []byte, number protowire.Number) []byte {
	var out []byte
	_ = fields(buf, func(f field) bool {
		if f.number == number && f.typ == protowire.BytesType {
			out = f.bytes
			return false
		}
		return true
	})
	return out
}

type scannedResource struct {
	name string
	// The resource message itself (Any.value).
	value []byte
}

type scannedResponse struct {
	typeURL string
	nonce   string
	// version_info (SotW) or system_version_info (delta).
	version   string
	resources []scannedResource
	removed   []string
}

// The resource name: field 1 of Listener, RouteConfiguration, Cluster and ClusterLoadAssignment.
func resourceName(value []byte) string { return string(firstBytes(value, 1)) }

func scanSotwResponse(buf []byte) (scannedResponse, error) { return scanResponse(buf, false) }

func scanDeltaResponse(buf []byte) (scannedResponse, error) { return scanResponse(buf, true) }

// scanResponse reads a DiscoveryResponse or a DeltaDiscoveryResponse: the same numbers hold the
// version, type and nonce; a resource is an Any (SotW) or a Resource wrapping one (delta).
func scanResponse(buf []byte, delta bool) (scannedResponse, error) {
	var out scannedResponse
	err := fields(buf, func(f field) bool {
		switch f.number {
		case 1:
			out.version = string(f.bytes)
		case 2:
			if delta {
				out.resources = append(out.resources, deltaResource(f.bytes))
			} else {
				value := firstBytes(f.bytes, 2)
				out.resources = append(out.resources, scannedResource{name: resourceName(value), value: value})
			}
		case 4:
			out.typeURL = string(f.bytes)
		case 5:
			out.nonce = string(f.bytes)
		case 6:
			if delta {
				out.removed = append(out.removed, string(f.bytes))
			}
		}
		return true
	})
	return out, err
}

// deltaResource: a Resource's name and the message inside its Any.
func deltaResource(buf []byte) scannedResource {
	var r scannedResource
	_ = fields(buf, func(f field) bool {
		if f.number == 3 {
			r.name = string(f.bytes)
		} else if f.number == 2 {
			r.value = firstBytes(f.bytes, 2)
		}
		return true
	})
	return r
}

// routeConfigNames: the RDS names a Listener's HTTP connection managers use
// (filter_chains.filters.typed_config -> rds.route_config_name).
func routeConfigNames(listener []byte) []string {
	var names []string
	_ = fields(listener, func(chain field) bool {
		if chain.number != 3 {
			return true
		}
		_ = fields(chain.bytes, func(filter field) bool {
			if filter.number != 3 {
				return true
			}
			if name := string(firstBytes(firstBytes(firstBytes(firstBytes(filter.bytes, 4), 2), 3), 2)); name != "" {
				names = append(names, name)
			}
			return true
		})
		return true
	})
	return names
}
