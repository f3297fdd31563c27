package media

import (
	"errors"
	"testing"
)

func TestDescriptor(t *testing.T) {
	d := descriptor{Mids: []string{"0", "1"}, Kinds: []string{"video", "audio"}}
	line := d.encode()
	if string(line) != `{"mids":["0","1"],"kinds":["video","audio"]}`+"\n" {
		t.Fatalf("encoded %q", line)
	}
	got, err := decodeDescriptor(line[:len(line)-1])
	if err != nil || len(got.Mids) != 2 || got.Kinds[1] != "audio" {
		t.Fatalf("decoded %+v, %v", got, err)
	}
	for _, bad := range []string{
		``, `[]`, `{"mids":[],"kinds":[]}`, `{"mids":["0"],"kinds":[]}`, `{"mids":["0","0"],"kinds":["video","video"]}`,
		`{"mids":["0"],"kinds":["text"]}`, `{"mids":[""],"kinds":["audio"]}`,
		`{"mids":["0","1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16"],"kinds":["audio","audio","audio","audio","audio","audio","audio","audio","audio","audio","audio","audio","audio","audio","audio","audio","audio"]}`,
	} {
		if _, err := decodeDescriptor([]byte(bad)); !errors.Is(err, ErrProtocol) {
			t.Errorf("%s: %v, want ErrProtocol", bad, err)
		}
	}
}
