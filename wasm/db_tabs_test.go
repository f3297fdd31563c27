//go:build !js

package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// TestDatabaseTabs checks the database across page loads and tabs of one profile, with the page's real IndexedDB:
// records persist across a reload; a tab that adds a store (a version upgrade) while another tab holds the database
// open is not blocked, and the other tab goes on, seeing the new store; a tab closed in the middle of a large commit
// leaves all of it or nothing.
func TestDatabaseTabs(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	page := pageHead + importMap + `
<script type="module">
import * as smoke from '` + pkgName + `'
window.smoke = smoke
</script>
`
	p1 := r.page(t, "db-tabs.html", page)
	ready := func(p *browser.Page) {
		t.Helper()
		evaluate[bool](t, p, time.Minute, `(async () => { while (!window.smoke) await new Promise(r => setTimeout(r, 10)); return true })()`)
	}
	ready(p1)
	if n := evaluate[int](t, p1, time.Minute, `(async () => {
  const db = new smoke.Database('tabs')
  for (let i = 0; i < 100; i++) db.insert('a', { key: db.key(), i })
  await db.commit()
  return db.count('a')
})()`); n != 100 {
		t.Fatalf("count after commit: %d", n)
	}

	// A reload: a new page, a new Go program, the same IndexedDB.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := p1.Run(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	ready(p1)
	if n := evaluate[int](t, p1, time.Minute, `(async () => {
  window.db = new smoke.Database('tabs')
  return window.db.count('a')
})()`); n != 100 {
		t.Fatalf("count after a reload: %d, want 100", n)
	}

	// Another tab adds a store while this one holds the database open.
	tab := func() *browser.Page {
		t.Helper()
		p, err := p1.NewTab(t.Context(), r.b)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		if err := p.Run(ctx, chromedp.Navigate(r.srv.URL+"/db-tabs.html")); err != nil {
			t.Fatal(err)
		}
		ready(p)
		return p
	}
	p2 := tab()
	if got := evaluate[string](t, p2, time.Minute, `(async () => {
  const db = new smoke.Database('tabs')
  db.insert('b', { key: db.key(), from: 'tab 2' })
  const timeout = new Promise((resolve) => setTimeout(() => resolve('blocked'), 15000))
  return Promise.race([db.commit().then(() => 'committed'), timeout])
})()`); got != "committed" {
		t.Fatalf("a commit that adds a store while another tab holds the database: %s", got)
	}
	if got := evaluate[[]int](t, p1, time.Minute, `(async () => [await window.db.count('a'), await window.db.count('b')])()`); !slices.Equal(got, []int{100, 1}) {
		t.Fatalf("the first tab after the upgrade: counts %v, want [100 1]", got)
	}

	// A tab closed in the middle of a commit of 200,000 records: all of them or none.
	p3 := tab()
	evaluate[bool](t, p3, time.Minute, `(() => {
  const db = new smoke.Database('tabs')
  for (let i = 0; i < 200000; i++) db.insert('big', { key: db.key(), i, pad: 'x'.repeat(64) })
  db.commit().then(() => console.log('committed'), (e) => console.log('commit failed', e.code))
  return true
})()`)
	time.Sleep(300 * time.Millisecond)
	committed := slices.Contains(p3.Console(), "log: committed")
	p3.Close()
	n := evaluate[int](t, p1, time.Minute, `(async () => {
  await new Promise((r) => setTimeout(r, 500))
  return new smoke.Database('tabs').count('big')
})()`)
	if n != 0 && n != 200000 {
		t.Fatalf("after a tab closed during a commit of 200,000 records: %d of them are there", n)
	}
	t.Logf("tab closed %s the commit ended: %d of 200000 records there", map[bool]string{true: "after", false: "before"}[committed], n)
	for _, c := range p1.Console() {
		if strings.HasPrefix(c, "exception:") {
			t.Errorf("page 1: %s", c)
		}
	}
}

// TestDatabaseQuota lowers the page's storage quota to 2 MB (the DevTools protocol's Storage.overrideQuotaForOrigin,
// as a full disk or a small quota would) and commits more than that: the commit rejects with ERR_QUOTA_EXCEEDED,
// and nothing of it is written.
func TestDatabaseQuota(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p := r.page(t, "db-quota.html", pageHead+importMap+`
<script type="module">
import * as smoke from '`+pkgName+`'
window.smoke = smoke
</script>
`)
	evaluate[bool](t, p, time.Minute, `(async () => { while (!window.smoke) await new Promise(r => setTimeout(r, 10)); return true })()`)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	quota := float64(2 << 20)
	override := func(ctx context.Context, tgt *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tgt, storage.OverrideQuotaForOrigin, storage.OverrideQuotaForOriginParams{Origin: r.srv.URL, QuotaSize: &quota})
		return chromedp.Void{}, err
	}
	if err := p.Run(ctx, override); err != nil {
		t.Fatal(err)
	}
	type result struct {
		Code   string
		Before int
		After  int
	}
	v := evaluate[result](t, p, 2*time.Minute, `(async () => {
  const db = new smoke.Database('quota')
  db.insert('s', { key: db.key(), small: true })
  await db.commit()
  const before = await db.count('s')
  const pad = 'x'.repeat(1024)
  for (let i = 0; i < 20000; i++) db.insert('s', { key: db.key(), i, pad: pad + i })
  let code = 'none'
  try {
    await db.commit()
  } catch (err) {
    code = err.code ?? String(err)
  }
  return { code, before, after: await db.count('s') }
})()`)
	if v.Code != "ERR_QUOTA_EXCEEDED" || v.Before != 1 || v.After != 1 {
		t.Fatalf("a commit of 20 MB under a 2 MB quota: code %q, records %d before and %d after; want ERR_QUOTA_EXCEEDED, 1 and 1",
			v.Code, v.Before, v.After)
	}
}
