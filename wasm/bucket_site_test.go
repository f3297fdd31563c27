//go:build !js

package main

import (
	"testing"
	"time"

	"github.com/smokenet/smoke/internal/testing/browser"
)

// TestSiteBucketAcrossTabs checks the file part of the database page across two tabs on the hub: one tab adds a
// file to its bucket and registers a hostname, the other lists that host's files by the name and downloads one.
func TestSiteBucketAcrossTabs(t *testing.T) {
	t.Parallel()
	root := serveSite(t)
	b := browser.New(t)
	const wait = 2 * time.Minute
	ready := `!document.querySelector('#files-query button').disabled && !document.getElementById('sample').disabled`
	host := openPage(t, b, root+"/database.html")
	client := openPage(t, b, root+"/database.html")
	waitJS(t, host, wait, "the host tab", ready)
	waitJS(t, client, wait, "the client tab", ready)

	do(t, host, `document.getElementById('sample').click()`)
	waitJS(t, host, wait, "the sample file in the host tab", `document.getElementById('uploaded').dataset.count === '1'
		&& document.querySelector('#files tr')?.dataset.size === '3145728'`)
	do(t, host, `document.getElementById('hostname').value = 'files-tab'; document.querySelector('#register button').click()`)
	waitJS(t, host, wait, "the hostname registered", `document.getElementById('registered').dataset.hostname === 'files-tab'`)

	do(t, client, `document.getElementById('files-target').value = 'files-tab'; document.querySelector('#files-query button').click()`)
	waitJS(t, client, wait, "the host tab's files in the client tab", `document.getElementById('remote-files').dataset.state === 'done'
		&& document.getElementById('remote-files').dataset.count === '1'`)
	do(t, client, `document.querySelector('#remote-files button').click()`)
	waitJS(t, client, wait, "the download", `document.querySelector('#remote-files a')?.dataset.state === 'done'`)
	link := evaluate[map[string]string](t, client, 30*time.Second, `({ ...document.querySelector('#remote-files a').dataset,
		href: document.querySelector('#remote-files a').href })`)
	if link["size"] != "3145728" || link["status"] != "200" || link["etag"] == "" || link["href"] == "" {
		t.Errorf("the download link: %v", link)
	}
	noProblems(t, host.Console())
	noProblems(t, client.Console())
}
