package browser

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

// TestFirefoxClose: Close leaves neither a process nor the profile behind.
func TestFirefoxClose(t *testing.T) {
	t.Parallel()
	f, err := StartFirefox(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewPage(t.Context()); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if n := len(processesNaming(f.dir)); n == 0 {
		f.Close()
		t.Fatalf("no process names the profile %s while the browser runs; the check below would prove nothing", f.dir)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(processesNaming(f.dir)); n > 0 {
		t.Errorf("%d processes of the browser are left after Close", n)
	}
	if _, err := os.Stat(f.dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("profile %s after Close: %v, want it gone", f.dir, err)
	}
	if _, err := f.NewPage(t.Context()); err == nil {
		t.Error("NewPage after Close succeeded")
	}
}
