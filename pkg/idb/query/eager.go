package query

import (
	"cmp"
	"iter"
	"slices"
)

// First returns the first element of s, reading no further; false when s is empty.
func First[T any](s iter.Seq[T]) (T, bool) {
	for v := range s {
		return v, true
	}
	var zero T
	return zero, false
}

// Last returns the last element of s; false when s is empty.
func Last[T any](s iter.Seq[T]) (T, bool) {
	var last T
	ok := false
	for v := range s {
		last, ok = v, true
	}
	return last, ok
}

// ElementAt returns element i of s (from 0), reading no further; false when s is shorter or i < 0.
func ElementAt[T any](s iter.Seq[T], i int) (T, bool) {
	var zero T
	if i < 0 {
		return zero, false
	}
	n := 0
	for v := range s {
		if n == i {
			return v, true
		}
		n++
	}
	return zero, false
}

// Aggregate folds s into acc with f, from the first element to the last.
func Aggregate[T, A any](s iter.Seq[T], acc A, f func(A, T) A) A {
	for v := range s {
		acc = f(acc, v)
	}
	return acc
}

// All says whether every element of s satisfies f (true for an empty s). It stops at the first that does not.
func All[T any](s iter.Seq[T], f func(T) bool) bool {
	for v := range s {
		if !f(v) {
			return false
		}
	}
	return true
}

// Any says whether some element of s satisfies f (any element at all when f is nil). It stops at the first.
func Any[T any](s iter.Seq[T], f func(T) bool) bool {
	for v := range s {
		if f == nil || f(v) {
			return true
		}
	}
	return false
}

// Count returns the number of elements of s.
func Count[T any](s iter.Seq[T]) int {
	n := 0
	for range s {
		n++
	}
	return n
}

// Sum returns the sum of the elements of s (0 for an empty s).
func Sum[T Number](s iter.Seq[T]) T {
	var sum T
	for v := range s {
		sum += v
	}
	return sum
}

// Average returns the mean of the elements of s; false for an empty s.
func Average[T Number](s iter.Seq[T]) (float64, bool) {
	sum, n := 0.0, 0
	for v := range s {
		sum += float64(v)
		n++
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// Min returns the least element of s (the first of equal ones); false for an empty s.
func Min[T cmp.Ordered](s iter.Seq[T]) (T, bool) {
	var m T
	ok := false
	for v := range s {
		if !ok || cmp.Less(v, m) {
			m, ok = v, true
		}
	}
	return m, ok
}

// Max returns the greatest element of s (the first of equal ones); false for an empty s.
func Max[T cmp.Ordered](s iter.Seq[T]) (T, bool) {
	var m T
	ok := false
	for v := range s {
		if !ok || cmp.Less(m, v) {
			m, ok = v, true
		}
	}
	return m, ok
}

// ToSlice returns the elements of s.
func ToSlice[T any](s iter.Seq[T]) []T { return slices.Collect(s) }
