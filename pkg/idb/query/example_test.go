//go:build !js

// Examples print through a temporary file, which a wasm test binary in the browser cannot make.

package query_test

import (
	"fmt"
	"slices"

	"github.com/smokenet/smoke/pkg/idb/query"
)

func ExampleWhere() {
	type user struct {
		Name, Role string
	}
	users := []user{{"smith", "admin"}, {"mike", "admin"}, {"dave", "user"}, {"alice", "user"}, {"jones", "user"}}
	q := query.Where(slices.Values(users), func(u user) bool { return u.Role == "user" })
	names := query.Select(query.OrderBy(q, func(u user) string { return u.Name }).All(), func(u user) string { return u.Name })
	fmt.Println(query.ToSlice(names))
	// Output: [alice dave jones]
}
