package main

import (
	"fmt"
	"strings"
)

// The parameter kinds of the native functions (natives_js.go declares them). This part builds natively too, so
// that TestNatives reads declarations with the same parser as the browser build.

type kind uint8

const (
	kindAny kind = iota
	kindString
	kindInt
	kindPort
	kindHandle
	kindBool
	kindFunc
)

var kinds = map[string]kind{
	"any": kindAny, "string": kindString, "int": kindInt, "port": kindPort, "handle": kindHandle, "bool": kindBool,
	"func": kindFunc,
}

type param struct {
	name     string
	kind     kind
	optional bool
}

// parseParams reads a declaration's params.
func parseParams(spec string) ([]param, error) {
	var ps []param
	for _, f := range strings.Fields(spec) {
		name, k, ok := strings.Cut(f, ":")
		if !ok || name == "" {
			return nil, fmt.Errorf("parameter %q is not name:kind", f)
		}
		p := param{name: name}
		k, p.optional = strings.CutSuffix(k, "?")
		if p.kind, ok = kinds[k]; !ok {
			return nil, fmt.Errorf("parameter %q: unknown kind %q", f, k)
		}
		ps = append(ps, p)
	}
	return ps, nil
}
