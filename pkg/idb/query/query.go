// Package query has the query operators of Smoke's database over Go iterators: lazy ones that return an iterator
// (Where, Select, SelectMany, OrderBy, OrderByDescending, ThenBy, ThenByDescending, Reverse, Distinct, Concat,
// Skip, Take) and eager ones that consume one (First, Last, ElementAt, Aggregate, All, Any, Average, Sum, Min, Max,
// Count, ToSlice). They work on any iter.Seq, natively and in the browser: the records of an idb.Database, a
// rest.RecordReader's stream, a slice.
//
// Lazy operators pull from their source only as far as their consumer pulls from them, so Take, First, Any, All
// and ElementAt stop reading the source as soon as they know the answer. OrderBy, its ThenBy keys, and Reverse
// need the whole source, and read it all when the first element is asked for. Sorts are stable, as JavaScript's
// Array.prototype.sort is.
//
//	users := query.Values(db.Records(ctx, "users"), &err)
//	admins := query.Where(users, func(r idb.Record) bool { ... })
//	names := query.Select(query.Take(admins, 10), func(r idb.Record) string { ... })
//	for n := range names { ... }
//	if err != nil { ... }
package query

import (
	"cmp"
	"iter"
	"slices"
)

// Number is what Sum and Average add.
type Number interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr |
		~float32 | ~float64
}

// Values returns the values of s up to its first error, which it stores in *err (it sets *err to nil first). Use it
// to run the operators over a stream that can fail, such as idb.Database.Records.
func Values[T any](s iter.Seq2[T, error], err *error) iter.Seq[T] {
	return func(yield func(T) bool) {
		*err = nil
		for v, e := range s {
			if e != nil {
				*err = e
				return
			}
			if !yield(v) {
				return
			}
		}
	}
}

// Where returns the elements of s for which keep is true.
func Where[T any](s iter.Seq[T], keep func(T) bool) iter.Seq[T] {
	return func(yield func(T) bool) {
		for v := range s {
			if keep(v) && !yield(v) {
				return
			}
		}
	}
}

// Select returns f of each element of s.
func Select[T, U any](s iter.Seq[T], f func(T) U) iter.Seq[U] {
	return func(yield func(U) bool) {
		for v := range s {
			if !yield(f(v)) {
				return
			}
		}
	}
}

// SelectMany returns the elements of f of each element of s, one sequence after the other.
func SelectMany[T, U any](s iter.Seq[T], f func(T) iter.Seq[U]) iter.Seq[U] {
	return func(yield func(U) bool) {
		for v := range s {
			for u := range f(v) {
				if !yield(u) {
					return
				}
			}
		}
	}
}

// Reverse returns the elements of s in reverse order. It reads all of s first.
func Reverse[T any](s iter.Seq[T]) iter.Seq[T] {
	return func(yield func(T) bool) {
		all := slices.Collect(s)
		for i := len(all) - 1; i >= 0; i-- {
			if !yield(all[i]) {
				return
			}
		}
	}
}

// Distinct returns the elements of s without repeats, each where it first appears.
func Distinct[T comparable](s iter.Seq[T]) iter.Seq[T] {
	return DistinctBy(s, func(v T) T { return v })
}

// DistinctBy returns the elements of s whose key has not appeared before.
func DistinctBy[T any, K comparable](s iter.Seq[T], key func(T) K) iter.Seq[T] {
	return func(yield func(T) bool) {
		seen := map[K]struct{}{}
		for v := range s {
			k := key(v)
			if _, ok := seen[k]; ok {
				continue
			}
			seen[k] = struct{}{}
			if !yield(v) {
				return
			}
		}
	}
}

// Concat returns the elements of each sequence in turn.
func Concat[T any](seqs ...iter.Seq[T]) iter.Seq[T] {
	return func(yield func(T) bool) {
		for _, s := range seqs {
			for v := range s {
				if !yield(v) {
					return
				}
			}
		}
	}
}

// Skip returns the elements of s after the first n.
func Skip[T any](s iter.Seq[T], n int) iter.Seq[T] {
	return func(yield func(T) bool) {
		i := 0
		for v := range s {
			if i < n {
				i++
				continue
			}
			if !yield(v) {
				return
			}
		}
	}
}

// Take returns the first n elements of s, and reads no further.
func Take[T any](s iter.Seq[T], n int) iter.Seq[T] {
	return func(yield func(T) bool) {
		if n <= 0 {
			return
		}
		i := 0
		for v := range s {
			i++
			if !yield(v) || i >= n {
				return
			}
		}
	}
}

// Ordered is a sequence sorted by one or more keys: OrderBy and OrderByDescending make one, ThenBy and
// ThenByDescending add keys that order the elements the earlier keys find equal. All returns its elements.
type Ordered[T any] struct {
	src  iter.Seq[T]
	cmps []func(a, b T) int
}

// All returns the elements in order. It reads the whole source when the first one is asked for.
func (o Ordered[T]) All() iter.Seq[T] {
	return func(yield func(T) bool) {
		all := slices.Collect(o.src)
		slices.SortStableFunc(all, func(a, b T) int {
			for _, c := range o.cmps {
				if r := c(a, b); r != 0 {
					return r
				}
			}
			return 0
		})
		for _, v := range all {
			if !yield(v) {
				return
			}
		}
	}
}

// OrderBy sorts s by key, ascending.
func OrderBy[T any, K cmp.Ordered](s iter.Seq[T], key func(T) K) Ordered[T] {
	return Ordered[T]{src: s, cmps: []func(a, b T) int{ascending(key)}}
}

// OrderByDescending sorts s by key, descending.
func OrderByDescending[T any, K cmp.Ordered](s iter.Seq[T], key func(T) K) Ordered[T] {
	return Ordered[T]{src: s, cmps: []func(a, b T) int{descending(key)}}
}

// OrderByFunc sorts s with compare (negative: a before b).
func OrderByFunc[T any](s iter.Seq[T], compare func(a, b T) int) Ordered[T] {
	return Ordered[T]{src: s, cmps: []func(a, b T) int{compare}}
}

// ThenBy orders the elements o finds equal by key, ascending.
func ThenBy[T any, K cmp.Ordered](o Ordered[T], key func(T) K) Ordered[T] {
	return Ordered[T]{src: o.src, cmps: append(slices.Clip(o.cmps), ascending(key))}
}

// ThenByDescending orders the elements o finds equal by key, descending.
func ThenByDescending[T any, K cmp.Ordered](o Ordered[T], key func(T) K) Ordered[T] {
	return Ordered[T]{src: o.src, cmps: append(slices.Clip(o.cmps), descending(key))}
}

func ascending[T any, K cmp.Ordered](key func(T) K) func(a, b T) int {
	return func(a, b T) int { return cmp.Compare(key(a), key(b)) }
}

func descending[T any, K cmp.Ordered](key func(T) K) func(a, b T) int {
	return func(a, b T) int { return cmp.Compare(key(b), key(a)) }
}
