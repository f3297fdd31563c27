package browser

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

// Close leaves neither a process nor the profile behind.
func TestClose(t *testing.T) {
	t.Parallel()
	b, err := Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.NewPage(t.Context()); err != nil {
		b.Close()
		t.Fatal(err)
	}
	if n := len(processesNaming(b.dir)); n == 0 {
		b.Close()
		t.Fatalf("no process names the profile %s while the browser runs; the check below would prove nothing", b.dir)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(processesNaming(b.dir)); n > 0 {
		t.Errorf("%d processes of the browser are left after Close", n)
	}
	if _, err := os.Stat(b.dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("profile %s after Close: %v, want it gone", b.dir, err)
	}
	if _, err := b.NewPage(t.Context()); err == nil {
		t.Error("NewPage after Close succeeded")
	}
}
