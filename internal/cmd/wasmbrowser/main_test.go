//go:build !js

package main

import (
	"maps"
	"testing"
	"time"
)

func TestRunTimeout(t *testing.T) {
	tests := []struct {
		name    string
		setting string
		args    []string
		want    time.Duration
		wantErr bool
	}{
		{name: "default", want: defaultTimeout},
		{name: "shorter test timeout", args: []string{"-test.v", "-test.timeout=1m0s"}, want: defaultTimeout},
		{name: "longer test timeout", args: []string{"-test.timeout=20m0s"}, want: 21 * time.Minute},
		{name: "no test timeout", args: []string{"-test.timeout=0s"}, want: defaultTimeout},
		{name: "setting", setting: "90s", args: []string{"-test.timeout=20m0s"}, want: 90 * time.Second},
		{name: "bad setting", setting: "soon", wantErr: true},
		{name: "zero setting", setting: "0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runTimeout(tt.setting, tt.args)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("runTimeout(%q, %q) = %v, %v; want %v, error %v", tt.setting, tt.args, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestSmokeEnv(t *testing.T) {
	got := smokeEnv([]string{"HOME=/root", "SMOKE_HUB_URL=ws://127.0.0.1:1/x=y", "SMOKE_EMPTY=", "XSMOKE_NO=1"})
	want := map[string]string{"SMOKE_HUB_URL": "ws://127.0.0.1:1/x=y", "SMOKE_EMPTY": ""}
	if !maps.Equal(got, want) {
		t.Errorf("smokeEnv = %v, want %v", got, want)
	}
}
