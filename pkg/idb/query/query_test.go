package query

import (
	"cmp"
	"fmt"
	"iter"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

type item struct{ A, B int }

// step is one lazy operator, applied by the package (lazy) and by a plain evaluation over slices (plain).
type step struct {
	name  string
	lazy  func(iter.Seq[item]) iter.Seq[item]
	plain func([]item) []item
}

func randomItems(r *rand.Rand, n int) []item {
	out := make([]item, n)
	for i := range out {
		out[i] = item{r.IntN(6), r.IntN(100)}
	}
	return out
}

func randomStep(r *rand.Rand) step {
	switch r.IntN(12) {
	case 0:
		m := r.IntN(3) + 2
		return step{fmt.Sprintf("where(A%%%d==0)", m),
			func(s iter.Seq[item]) iter.Seq[item] { return Where(s, func(v item) bool { return v.A%m == 0 }) },
			func(xs []item) []item {
				var out []item
				for _, v := range xs {
					if v.A%m == 0 {
						out = append(out, v)
					}
				}
				return out
			}}
	case 1:
		return step{"select(A+B, B-A)",
			func(s iter.Seq[item]) iter.Seq[item] {
				return Select(s, func(v item) item { return item{(v.A + v.B) % 7, v.B - v.A} })
			},
			func(xs []item) []item {
				out := make([]item, 0, len(xs))
				for _, v := range xs {
					out = append(out, item{(v.A + v.B) % 7, v.B - v.A})
				}
				return out
			}}
	case 2:
		return step{"selectMany(A%3 copies)",
			func(s iter.Seq[item]) iter.Seq[item] {
				return SelectMany(s, func(v item) iter.Seq[item] {
					return func(yield func(item) bool) {
						for i := range v.A % 3 {
							if !yield(item{v.A, v.B + i}) {
								return
							}
						}
					}
				})
			},
			func(xs []item) []item {
				var out []item
				for _, v := range xs {
					for i := range v.A % 3 {
						out = append(out, item{v.A, v.B + i})
					}
				}
				return out
			}}
	case 3, 4:
		desc := r.IntN(2) == 1
		then := r.IntN(3) // 0: none, 1: thenBy B, 2: thenByDescending B
		name := fmt.Sprintf("orderBy(A, desc=%v, then=%d)", desc, then)
		return step{name,
			func(s iter.Seq[item]) iter.Seq[item] {
				var o Ordered[item]
				if desc {
					o = OrderByDescending(s, func(v item) int { return v.A })
				} else {
					o = OrderBy(s, func(v item) int { return v.A })
				}
				switch then {
				case 1:
					o = ThenBy(o, func(v item) int { return v.B })
				case 2:
					o = ThenByDescending(o, func(v item) int { return v.B })
				}
				return o.All()
			},
			func(xs []item) []item {
				out := slices.Clone(xs)
				// Insertion sort: stable, and nothing like the package's.
				less := func(a, b item) bool {
					c := cmp.Compare(a.A, b.A)
					if desc {
						c = -c
					}
					if c == 0 {
						switch then {
						case 1:
							c = cmp.Compare(a.B, b.B)
						case 2:
							c = cmp.Compare(b.B, a.B)
						}
					}
					return c < 0
				}
				for i := 1; i < len(out); i++ {
					for j := i; j > 0 && less(out[j], out[j-1]); j-- {
						out[j], out[j-1] = out[j-1], out[j]
					}
				}
				return out
			}}
	case 5:
		return step{"reverse", Reverse[item], func(xs []item) []item {
			out := make([]item, len(xs))
			for i, v := range xs {
				out[len(xs)-1-i] = v
			}
			return out
		}}
	case 6:
		return step{"distinct", Distinct[item], func(xs []item) []item {
			var out []item
			for _, v := range xs {
				if !slices.Contains(out, v) {
					out = append(out, v)
				}
			}
			return out
		}}
	case 7:
		extra := randomItems(r, r.IntN(5))
		return step{fmt.Sprintf("concat(%d)", len(extra)),
			func(s iter.Seq[item]) iter.Seq[item] { return Concat(s, slices.Values(extra)) },
			func(xs []item) []item { return append(slices.Clone(xs), extra...) }}
	case 8, 9:
		n := r.IntN(12) - 1
		return step{fmt.Sprintf("skip(%d)", n),
			func(s iter.Seq[item]) iter.Seq[item] { return Skip(s, n) },
			func(xs []item) []item {
				if n <= 0 {
					return xs
				}
				if n >= len(xs) {
					return nil
				}
				return xs[n:]
			}}
	default:
		n := r.IntN(12) - 1
		return step{fmt.Sprintf("take(%d)", n),
			func(s iter.Seq[item]) iter.Seq[item] { return Take(s, n) },
			func(xs []item) []item {
				if n <= 0 {
					return nil
				}
				if n >= len(xs) {
					return xs
				}
				return xs[:n]
			}}
	}
}

// terminal is an eager operator, over the package and plainly; results are compared with reflect.DeepEqual.
type terminal struct {
	name  string
	lazy  func(iter.Seq[item]) any
	plain func([]item) any
}

type opt[T any] struct {
	V  T
	OK bool
}

func randomTerminal(r *rand.Rand) terminal {
	keyA := func(s iter.Seq[item]) iter.Seq[int] { return Select(s, func(v item) int { return v.A }) }
	as := func(xs []item) []int {
		out := []int{}
		for _, v := range xs {
			out = append(out, v.A)
		}
		return out
	}
	switch r.IntN(13) {
	case 0:
		return terminal{"first", func(s iter.Seq[item]) any { v, ok := First(s); return opt[item]{v, ok} },
			func(xs []item) any {
				if len(xs) == 0 {
					return opt[item]{}
				}
				return opt[item]{xs[0], true}
			}}
	case 1:
		return terminal{"last", func(s iter.Seq[item]) any { v, ok := Last(s); return opt[item]{v, ok} },
			func(xs []item) any {
				if len(xs) == 0 {
					return opt[item]{}
				}
				return opt[item]{xs[len(xs)-1], true}
			}}
	case 2:
		i := r.IntN(8) - 1
		return terminal{fmt.Sprintf("elementAt(%d)", i),
			func(s iter.Seq[item]) any { v, ok := ElementAt(s, i); return opt[item]{v, ok} },
			func(xs []item) any {
				if i < 0 || i >= len(xs) {
					return opt[item]{}
				}
				return opt[item]{xs[i], true}
			}}
	case 3:
		return terminal{"aggregate(acc*31+A)", func(s iter.Seq[item]) any {
			return Aggregate(s, 7, func(acc int, v item) int { return acc*31 + v.A })
		}, func(xs []item) any {
			acc := 7
			for _, v := range xs {
				acc = acc*31 + v.A
			}
			return acc
		}}
	case 4:
		return terminal{"all(A<4)", func(s iter.Seq[item]) any { return All(s, func(v item) bool { return v.A < 4 }) },
			func(xs []item) any {
				for _, v := range xs {
					if v.A >= 4 {
						return false
					}
				}
				return true
			}}
	case 5:
		return terminal{"any(B>90)", func(s iter.Seq[item]) any { return Any(s, func(v item) bool { return v.B > 90 }) },
			func(xs []item) any {
				for _, v := range xs {
					if v.B > 90 {
						return true
					}
				}
				return false
			}}
	case 6:
		return terminal{"any()", func(s iter.Seq[item]) any { return Any(s, nil) },
			func(xs []item) any { return len(xs) > 0 }}
	case 7:
		return terminal{"average(A)", func(s iter.Seq[item]) any { v, ok := Average(keyA(s)); return opt[float64]{v, ok} },
			func(xs []item) any {
				if len(xs) == 0 {
					return opt[float64]{}
				}
				sum := 0
				for _, a := range as(xs) {
					sum += a
				}
				return opt[float64]{float64(sum) / float64(len(xs)), true}
			}}
	case 8:
		return terminal{"sum(A)", func(s iter.Seq[item]) any { return Sum(keyA(s)) },
			func(xs []item) any {
				sum := 0
				for _, a := range as(xs) {
					sum += a
				}
				return sum
			}}
	case 9:
		return terminal{"min(A)", func(s iter.Seq[item]) any { v, ok := Min(keyA(s)); return opt[int]{v, ok} },
			func(xs []item) any {
				if len(xs) == 0 {
					return opt[int]{}
				}
				return opt[int]{slices.Min(as(xs)), true}
			}}
	case 10:
		return terminal{"max(A)", func(s iter.Seq[item]) any { v, ok := Max(keyA(s)); return opt[int]{v, ok} },
			func(xs []item) any {
				if len(xs) == 0 {
					return opt[int]{}
				}
				return opt[int]{slices.Max(as(xs)), true}
			}}
	case 11:
		return terminal{"count", func(s iter.Seq[item]) any { return Count(s) }, func(xs []item) any { return len(xs) }}
	default:
		return terminal{"toSlice", func(s iter.Seq[item]) any { return ToSlice(s) },
			func(xs []item) any {
				if len(xs) == 0 {
					return []item(nil)
				}
				return slices.Clone(xs)
			}}
	}
}

// TestRandomPipelines checks 5,000 random pipelines (0-6 lazy operators, then an eager one) over random data
// against a plain evaluation over slices, and that no pipeline reads its source past its end or twice.
func TestRandomPipelines(t *testing.T) {
	seed := uint64(20261204)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range 5000 {
		data := randomItems(r, r.IntN(30))
		steps := make([]step, r.IntN(7))
		for j := range steps {
			steps[j] = randomStep(r)
		}
		term := randomTerminal(r)
		reads := 0
		src := func(yield func(item) bool) {
			for _, v := range data {
				reads++
				if !yield(v) {
					return
				}
			}
		}
		var s iter.Seq[item] = src
		plain := slices.Clone(data)
		var names []string
		for _, st := range steps {
			s = st.lazy(s)
			plain = st.plain(plain)
			names = append(names, st.name)
		}
		names = append(names, term.name)
		got, want := term.lazy(s), term.plain(plain)
		if ts, ok := got.([]item); ok && len(ts) == 0 {
			got = []item(nil)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("pipeline %d (seed %d) %s over %v:\ngot  %v\nwant %v", i, seed, strings.Join(names, "."), data, got, want)
		}
		if reads > len(data) {
			t.Fatalf("pipeline %d %s read %d elements of %d", i, strings.Join(names, "."), reads, len(data))
		}
	}
}

// TestStopsEarly checks that Take, First, Any, All and ElementAt read no more of the source than they need.
func TestStopsEarly(t *testing.T) {
	counting := func(n int, reads *int) iter.Seq[int] {
		return func(yield func(int) bool) {
			for i := range n {
				*reads++
				if !yield(i) {
					return
				}
			}
		}
	}
	for _, tc := range []struct {
		name string
		run  func(iter.Seq[int])
		want int
	}{
		{"take(10)", func(s iter.Seq[int]) { Count(Take(s, 10)) }, 10},
		{"where.take(3)", func(s iter.Seq[int]) { Count(Take(Where(s, func(v int) bool { return v%2 == 0 }), 3)) }, 5},
		{"first", func(s iter.Seq[int]) { First(s) }, 1},
		{"skip(5).first", func(s iter.Seq[int]) { First(Skip(s, 5)) }, 6},
		{"elementAt(42)", func(s iter.Seq[int]) { ElementAt(s, 42) }, 43},
		{"any(>=7)", func(s iter.Seq[int]) { Any(s, func(v int) bool { return v >= 7 }) }, 8},
		{"all(<3)", func(s iter.Seq[int]) { All(s, func(v int) bool { return v < 3 }) }, 4},
		{"take(0)", func(s iter.Seq[int]) { Count(Take(s, 0)) }, 0},
	} {
		reads := 0
		tc.run(counting(100000, &reads))
		if reads != tc.want {
			t.Errorf("%s read %d elements, want %d", tc.name, reads, tc.want)
		}
	}
}

// TestReverse checks the original's two reverse bugs are not here: element 0 is kept, and an empty source ends.
func TestReverse(t *testing.T) {
	if got := ToSlice(Reverse(slices.Values([]int{0, 1, 2}))); !slices.Equal(got, []int{2, 1, 0}) {
		t.Errorf("reverse [0 1 2] = %v", got)
	}
	if got := ToSlice(Reverse(slices.Values([]int{}))); len(got) != 0 {
		t.Errorf("reverse [] = %v", got)
	}
}

func TestValues(t *testing.T) {
	boom := fmt.Errorf("boom")
	s := func(yield func(int, error) bool) {
		for i := range 5 {
			if i == 3 {
				yield(0, boom)
				return
			}
			if !yield(i, nil) {
				return
			}
		}
	}
	var err error
	got := ToSlice(Values(iter.Seq2[int, error](s), &err))
	if !slices.Equal(got, []int{0, 1, 2}) || err != boom {
		t.Fatalf("Values: %v, %v", got, err)
	}
}
